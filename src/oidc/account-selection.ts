// prompt=select_account (OpenID Connect Core §3.1.2.1): the user chooses the account to continue
// with. oidc-provider knows no such prompt and refused the request as invalid_request; here it is a
// requestable prompt placed first, answered by the sign-in page, where the user signs in with the
// account of their choice, whoever is signed in already. (prompt=none, which would forbid asking,
// cannot be combined with any other value.)
import { interactionPolicy } from 'oidc-provider';

export const SELECT_ACCOUNT = 'select_account';

/** oidc-provider's default prompts (login, consent) with select_account in front of them. */
export function interactionPolicyWithAccountSelection(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: SELECT_ACCOUNT, requestable: true }), 0);
  return policy;
}
