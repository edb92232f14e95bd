// Renders the ejs pages with what every page needs: the texts in the page's language, the brand and
// the CSP nonce.
import path from 'node:path';

import ejs from 'ejs';

import { VIEWS_DIR } from '../paths.js';
import { pickMessages } from './locales.js';
import type { Messages } from './messages.js';

export interface Brand {
  name: string;
  /** #rrggbb: buttons, links, focus rings. */
  color: string;
  /** Served by Gatehouse itself (/assets/logo) when BRAND_LOGO_FILE is set. */
  logoUrl: string | undefined;
}

export interface PageContext {
  nonce: string;
  /** The texts in the page's language (default English). */
  t?: Messages;
}

export class ViewRenderer {
  constructor(private readonly options: { brand: Brand; cache: boolean }) {}

  get brand(): Brand {
    return this.options.brand;
  }

  /** The texts for a request: its ui_locales, else the browser's languages, else English. */
  messages(uiLocales?: unknown, acceptsLanguage?: (languages: string[]) => string | false): Messages {
    return pickMessages(uiLocales, acceptsLanguage);
  }

  render(page: string, context: PageContext, locals: Record<string, unknown>): Promise<string> {
    const t = context.t ?? this.messages();
    return ejs.renderFile(
      path.join(VIEWS_DIR, `${page}.ejs`),
      { locale: t.locale, t, brand: this.options.brand, nonce: context.nonce, wide: false, notice: undefined, ...locals },
      { cache: this.options.cache, async: false, strict: false },
    );
  }
}
