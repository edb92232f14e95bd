// Dynamic client registration (RFC 7591) and its management (RFC 7592) through oidc-provider: off
// unless configured. Registered metadata passes the same rules as the admin API (createClientSchema),
// checked in the library's extraClientMetadata validator, which runs before the library's own
// checks; errors come out as invalid_redirect_uri or invalid_client_metadata (RFC 7591 §3.2.2).
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import { STANDARD_SCOPES } from '../schemas/api.js';
import { createClientSchema, DEVICE_CODE_GRANT, FAPI_PROFILES, TOKEN_EXCHANGE_GRANT } from '../schemas/client.js';
import { httpsUrlSchema, isNativeApp } from '../schemas/uris.js';
import { generateClientSecret } from '../services/client-secrets.js';
import { DEFAULT_OIDC_SCOPES } from '../services/clients.js';
import { randomAlphanumeric } from '../services/random-id.js';
import { namesInternalAddress } from './internal-address.js';
import { API_SCOPES_PROPERTY } from '../services/registered-clients.js';

export const REGISTRATION_PATH = '/reg';
/** Routes at which a client's metadata is being registered or changed (elsewhere it is loaded from storage). */
const REGISTERING_ROUTES = new Set(['registration', 'client_update']);
/** Metadata names of the admin schema's fields, for error messages in the registration's own terms. */
const RFC_NAMES: Record<string, string> = {
  name: 'client_name',
  redirectUris: 'redirect_uris',
  postLogoutRedirectUris: 'post_logout_redirect_uris',
  grantTypes: 'grant_types',
  scope: 'scope',
  public: 'token_endpoint_auth_method',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  jwksUri: 'jwks_uri',
  logoUri: 'logo_uri',
  policyUri: 'policy_uri',
  tosUri: 'tos_uri',
  fapiProfile: 'fapi_profile',
  requirePushedAuthorizationRequests: 'require_pushed_authorization_requests',
  dpopBoundAccessTokens: 'dpop_bound_access_tokens',
};
const OIDC_SCOPES = new Set<string>(STANDARD_SCOPES);

type Metadata = Record<string, unknown>;

const strings = (value: unknown) => (Array.isArray(value) ? (value as unknown[]) : []);
const optionalString = (value: unknown) => (value === undefined || value === null ? undefined : value);

/** Runs the admin API's client rules on registration metadata, then hands the API scopes over separately. */
export function validateRegistrationMetadata(ctx: KoaContextWithOIDC | undefined, key: string, _value: unknown, metadata: Metadata): void {
  if (key !== API_SCOPES_PROPERTY) return;
  if (!ctx?.oidc || !REGISTERING_ROUTES.has(String(ctx.oidc.route))) return;
  // Whatever the request said about this property is replaced below: it is never taken from the client.
  delete metadata[API_SCOPES_PROPERTY];

  if (metadata.jwks !== undefined) throw new errors.InvalidClientMetadata('jwks is not supported: publish the keys and register jwks_uri');
  const grantTypes = strings(metadata.grant_types);
  if (grantTypes.includes('client_credentials')) {
    throw new errors.InvalidClientMetadata('grant_types: dynamically registered clients may not use client_credentials; ask an operator for a machine client');
  }
  // RFC 7591 §2.1: grant_types and response_types must agree; a dynamic client signs users in with the code flow.
  if (metadata.response_types !== undefined && !strings(metadata.response_types).includes('code')) {
    throw new errors.InvalidClientMetadata('response_types: must include code (the authorization code flow is what dynamic clients use)');
  }
  // A device code is phished without any redirect URI to bind it to a client: only for clients an operator registered.
  if (grantTypes.includes(DEVICE_CODE_GRANT)) {
    throw new errors.InvalidClientMetadata('grant_types: the device code grant is for clients an operator registers, not for dynamic registration');
  }
  if (grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
    throw new errors.InvalidClientMetadata('grant_types: token exchange is granted by an operator, not through dynamic registration');
  }
  const fapiProfile = metadata.fapi_profile;
  if (fapiProfile !== undefined && fapiProfile !== null && !(FAPI_PROFILES as readonly unknown[]).includes(fapiProfile)) {
    throw new errors.InvalidClientMetadata(`fapi_profile: must be ${FAPI_PROFILES.join(' or ')}`);
  }
  // Gatehouse would call it: https only for clients nobody has verified (no loopback, no plain http).
  if (metadata.backchannel_logout_uri !== undefined && !httpsUrlSchema.safeParse(metadata.backchannel_logout_uri).success) {
    throw new errors.InvalidClientMetadata('backchannel_logout_uri: must be an https URL without a fragment');
  }
  // Only public subject identifiers are offered: oidc-provider would still fetch this URL on registration.
  if (metadata.sector_identifier_uri !== undefined) {
    throw new errors.InvalidClientMetadata('sector_identifier_uri: pairwise subject identifiers are not offered (subject_types_supported is public)');
  }
  // URLs Gatehouse itself requests for this client: never at this machine or a private network.
  for (const name of ['jwks_uri', 'backchannel_logout_uri'] as const) {
    const value = metadata[name];
    if (typeof value === 'string' && namesInternalAddress(value)) {
      throw new errors.InvalidClientMetadata(`${name}: must not point at a loopback, link-local or private address`);
    }
  }
  const scope = metadata.scope === undefined ? undefined : String(metadata.scope);
  const result = createClientSchema.safeParse({
    name: typeof metadata.client_name === 'string' ? metadata.client_name : 'Dynamically registered client',
    redirectUris: strings(metadata.redirect_uris),
    postLogoutRedirectUris: strings(metadata.post_logout_redirect_uris),
    grantTypes,
    scope,
    public: metadata.token_endpoint_auth_method === 'none',
    apis: [],
    tokenEndpointAuthMethod: optionalString(metadata.token_endpoint_auth_method),
    jwksUri: optionalString(metadata.jwks_uri),
    logoUri: optionalString(metadata.logo_uri),
    policyUri: optionalString(metadata.policy_uri),
    tosUri: optionalString(metadata.tos_uri),
    isAdmin: false,
    fapiProfile: fapiProfile === '2.0' ? '2.0' : undefined,
    requirePushedAuthorizationRequests: typeof metadata.require_pushed_authorization_requests === 'boolean' ? metadata.require_pushed_authorization_requests : undefined,
    dpopBoundAccessTokens: typeof metadata.dpop_bound_access_tokens === 'boolean' ? metadata.dpop_bound_access_tokens : undefined,
  });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const [field, ...rest] = issue.path.map(String);
    const name = [RFC_NAMES[field ?? ''] ?? field ?? 'metadata', ...rest].join('.');
    // A description starting with redirect_uris makes the library answer invalid_redirect_uri.
    throw new errors.InvalidClientMetadata(`${name}: ${issue.message}`);
  }
  if (metadata.client_uri !== undefined && !httpsUrlSchema.safeParse(metadata.client_uri).success) {
    throw new errors.InvalidClientMetadata('client_uri: must be an https URL without a fragment');
  }
  if (fapiProfile === '2.0') {
    metadata.require_pushed_authorization_requests = true;
    metadata.dpop_bound_access_tokens = true;
  } else delete metadata.fapi_profile;
  // Native apps (RFC 8252): private-use redirect URIs, or a public client on loopback ones only.
  if (isNativeApp(result.data.redirectUris, result.data.public)) metadata.application_type = 'native';

  const requested = scope?.split(' ').filter(Boolean);
  if (requested === undefined) {
    metadata.scope = DEFAULT_OIDC_SCOPES.filter((s) => s !== 'offline_access' || grantTypes.includes('refresh_token')).join(' ');
    metadata[API_SCOPES_PROPERTY] = null;
  } else {
    const oidc = requested.filter((s) => OIDC_SCOPES.has(s));
    if (oidc.length) metadata.scope = oidc.join(' ');
    else delete metadata.scope;
    metadata[API_SCOPES_PROPERTY] = requested.filter((s) => !OIDC_SCOPES.has(s));
  }
}

/** The provider options for dynamic registration in the configured mode. */
export function registrationConfiguration(mode: 'off' | 'open' | 'token'): Pick<Configuration, 'extraClientMetadata'> & { features: Pick<NonNullable<Configuration['features']>, 'registration' | 'registrationManagement'> } {
  const enabled = mode !== 'off';
  return {
    extraClientMetadata: {
      properties: [API_SCOPES_PROPERTY],
      validator: validateRegistrationMetadata as NonNullable<Configuration['extraClientMetadata']>['validator'],
    },
    features: {
      registration: {
        enabled,
        // Initial access tokens are Gatehouse's own (counted uses, hashed): checked in front of the endpoint.
        initialAccessToken: false,
        idFactory: () => randomAlphanumeric(22),
        secretFactory: async () => generateClientSecret(),
        issueRegistrationAccessToken: true,
      },
      registrationManagement: { enabled, rotateRegistrationAccessToken: true },
    },
  };
}
