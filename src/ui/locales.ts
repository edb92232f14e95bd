// Picks the language of a page: the first of the request's ui_locales (OIDC Core §3.1.2.1) that has
// a translation, else the browser's Accept-Language, else English.
import { de } from './messages-de.js';
import { en, type Messages } from './messages.js';

export const CATALOGUES: Readonly<Record<string, Messages>> = Object.freeze({ en, de });
export const SUPPORTED_LOCALES = Object.keys(CATALOGUES);

/** The catalogue for a space-separated ui_locales value ("de-CH en"); undefined when none matches. */
export function catalogueForUiLocales(uiLocales: unknown): Messages | undefined {
  if (typeof uiLocales !== 'string') return undefined;
  for (const tag of uiLocales.slice(0, 200).split(' ')) {
    const language = tag.split('-')[0]!.toLowerCase();
    if (Object.hasOwn(CATALOGUES, language)) return CATALOGUES[language];
  }
  return undefined;
}

/** ui_locales first, then the language the browser accepts (Koa's acceptsLanguages), then English. */
export function pickMessages(uiLocales: unknown, acceptsLanguage?: (languages: string[]) => string | false): Messages {
  const fromRequest = catalogueForUiLocales(uiLocales);
  if (fromRequest) return fromRequest;
  const accepted = acceptsLanguage?.(SUPPORTED_LOCALES);
  return (accepted && CATALOGUES[accepted]) || en;
}
