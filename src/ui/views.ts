// Renders the ejs pages with what every page needs: the texts, the brand and the CSP nonce.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import ejs from 'ejs';

import { en, type Messages } from './messages.js';

export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

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
