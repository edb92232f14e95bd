// OpenID Connect Core §3.1.2.1, id_token_hint: when the user who signs in is not the one the hint
// identifies, the authorization server "MUST return an error, such as login_required". oidc-provider
// enforces this only with prompt=none; otherwise its login prompt lets anyone sign in. The hint was
// verified by oidc-provider at the authorization endpoint before the interaction began, so here it
// is only read.
import { decodeJwt } from 'jose';
import type { InteractionResults } from 'oidc-provider';

/** The subject an already-verified id_token_hint names, or undefined when there is none. */
function hintedSubject(hint: unknown): string | undefined {
  if (typeof hint !== 'string' || !hint) return undefined;
  try {
    const { sub } = decodeJwt(hint);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The login result, or login_required when the hint names someone else. Subjects are public
 * (the account id), so the hint's sub is compared with the account that signed in.
 */
export function loginMatchingHint(params: Record<string, unknown>, login: NonNullable<InteractionResults['login']>): InteractionResults {
  const hinted = hintedSubject(params.id_token_hint);
  if (hinted !== undefined && hinted !== login.accountId) {
    return { error: 'login_required', error_description: 'the user who signed in is not the one id_token_hint identifies' };
  }
  return { login };
}
