// The account page signs people in through the same authorization endpoint as every app, as a
// built-in first-party client: no consent page, never listed among "apps with access".
import type { ClientMetadata } from 'oidc-provider';

export const ACCOUNT_CLIENT_ID = 'gatehouse-account';
export const ACCOUNT_CALLBACK_PATH = '/account/callback';

export function accountClientMetadata(issuer: string, brandName: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: brandName,
    redirect_uris: [`${issuer}${ACCOUNT_CALLBACK_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
  };
}
