// The error descriptions oidc-provider (and the sign-in pages) put on the error page are English
// sentences. A page in another language shows its own wording for the ones users meet; anything
// else keeps the library's text.
import type { Messages } from './messages.js';

/** Fixed descriptions, and patterns for the ones that name a parameter. */
const GERMAN: Record<string, string> = {
  'client is invalid': 'Diese Anwendung ist hier nicht registriert.',
  "redirect_uri did not match any of the client's registered redirect_uris": 'Die Rücksprungadresse (redirect_uri) ist für diese Anwendung nicht registriert.',
  'could not find logout details': 'Die Abmeldung konnte nicht zugeordnet werden. Bitte versuchen Sie es in der Anwendung erneut.',
  'post_logout_redirect_uri not registered': 'Die Adresse nach der Abmeldung (post_logout_redirect_uri) ist für diese Anwendung nicht registriert.',
  'id_token_hint and authenticated subject do not match': 'Der angemeldete Benutzer ist nicht der, den die Anwendung erwartet.',
  'interaction session not found': 'Diese Anmeldeseite ist abgelaufen oder wurde bereits verwendet. Bitte kehren Sie zur Anwendung zurück und versuchen Sie es erneut.',
  'interaction session expired': 'Diese Anmeldeseite ist abgelaufen. Bitte kehren Sie zur Anwendung zurück und versuchen Sie es erneut.',
  'interaction mismatch': 'Diese Anmeldeseite gehört zu einer anderen Anmeldung. Bitte kehren Sie zur Anwendung zurück und versuchen Sie es erneut.',
  'the second step expired': 'Der zweite Anmeldeschritt ist abgelaufen. Bitte melden Sie sich erneut an.',
  'End-User denied the request': 'Sie haben den Zugriff abgelehnt.',
};

const GERMAN_PATTERNS: [RegExp, (name: string) => string][] = [
  [/^missing required parameter '([a-z_]{1,40})'$/, (name) => `Der Anfrage fehlt der Parameter ${name}.`],
  [/^unrecognized or unsupported parameter '?([a-z_]{1,40})'?/, (name) => `Der Parameter ${name} wird nicht unterstützt.`],
];

/** The description in the page's language where a translation exists, else as given. */
export function localizedErrorDescription(t: Messages, description: string | undefined): string {
  if (!description) return t.errorGeneric;
  if (t.locale !== 'de') return description;
  const fixed = GERMAN[description];
  if (fixed) return fixed;
  for (const [pattern, text] of GERMAN_PATTERNS) {
    const match = pattern.exec(description);
    if (match) return text(match[1]!);
  }
  return description;
}
