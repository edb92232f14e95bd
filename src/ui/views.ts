// Renders the ejs pages with what every page needs: the texts, the brand and the CSP nonce.
import path from 'node:path';

import ejs from 'ejs';

import { VIEWS_DIR } from '../paths.js';
import { en, type Messages } from './messages.js';

export interface Brand {
  name: string;
  color: string;
}

export interface PageContext {
  nonce: string;
}

export class ViewRenderer {
  constructor(private readonly options: { brand: Brand; cache: boolean }) {}

  messages(): Messages {
    return en;
  }

  render(page: string, context: PageContext, locals: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(
      path.join(VIEWS_DIR, `${page}.ejs`),
      { locale: 'en', t: this.messages(), brand: this.options.brand, nonce: context.nonce, ...locals },
      { cache: this.options.cache, async: false, strict: false },
    );
  }
}
