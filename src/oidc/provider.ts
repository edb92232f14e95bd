// Builds the oidc-provider instance from Gatehouse's configuration: only the code flow with PKCE
// S256, refresh rotation, client credentials, RFC 9068 JWT access tokens per API, introspection,
// revocation, userinfo and RP-initiated logout, with every default that is not RFC-exact replaced.
import Provider, { type Adapter, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import type { Config } from '../config/config.js';
import type { ConsentRepository } from '../repositories/consents.js';
import type { Catalog } from '../services/catalog.js';
import type { ClientSecretHasher } from '../services/client-secrets.js';
import type { KeyRing } from '../services/key-ring.js';
import type { UserService } from '../services/users.js';
import type { Messages } from '../ui/messages.js';
import { localizedErrorDescription } from '../ui/error-descriptions.js';
import { SUPPORTED_LOCALES } from '../ui/locales.js';
import type { ViewRenderer } from '../ui/views.js';
import { deviceFlowFeature } from './device-flow.js';
import { fapiCodeTtl, fapiProfileOf, FAPI_CLIENT_PROPERTY } from './fapi.js';
import { accountClientMetadata } from './account-client.js';
import { ACR_PASSWORD, ACR_TWO_STEP } from './authentication-context.js';
import { GRANT_ID_CLAIM, type AccessTokenVerifier } from './access-token-verifier.js';
import { clientBasedCors } from './cors.js';
import { STANDARD_CLAIMS, createFindAccount } from './find-account.js';
import {
  allowStructuredTokenIntrospection,
  compareHashedSecretOnClientUpdate,
  deliverBackchannelLogoutInBackground,
  includeSessionIdInIdTokens, installClientSecretComparison,
  replaceSigningKeys,
} from './internals.js';
import { interactionPolicyWithAccountSelection } from './account-selection.js';
import type { RequestPrefetch } from './request-prefetch.js';
import { registrationConfiguration } from './registration.js';
import { createResourceServerPolicy } from './resource-servers.js';
import { sessionTtl } from './session-lifetime.js';
import { createTokenExchange } from './token-exchange.js';
import { createTokenPolicies } from './token-policies.js';

export interface ProviderDependencies {
  config: Config;
  /** Verifies subject tokens of token exchange. */
  accessTokens: AccessTokenVerifier;
  adapter: new (name: string) => Adapter;
  keys: KeyRing;
  catalog: Catalog;
  users: UserService;
  consents: ConsentRepository;
  hasher: ClientSecretHasher;
  views: ViewRenderer;
  /** For clients' jwks_uri and sector_identifier_uri: timed out and measured (outbound-fetch.ts). */
  fetch?: Configuration['fetch'];
  /** Sends back-channel logout tokens in the background (with retries). */
  sendLogoutToken: (delivery: { clientId: string; uri: string; logoutToken: string }) => void;
  /** Rows read ahead for the request being served: the account lookup takes a token's user from it. */
  prefetch?: RequestPrefetch;
  /** How the device pages show a client. */
  clientView: (clientId: string) => Promise<{ name: string; logoUri?: string | undefined; unverified: boolean }>;
}

const ANONYMOUS_SESSION_TTL_SECONDS = 3600;

// Asymmetric algorithms only: client secrets are stored hashed, so nothing can be keyed on them.
const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

export function createProvider(deps: ProviderDependencies): Provider {
  const { config, catalog, views } = deps;
  allowStructuredTokenIntrospection();
  compareHashedSecretOnClientUpdate();
  const resourceServers = createResourceServerPolicy(catalog, deps.users);
  const registration = registrationConfiguration(config.dynamicRegistration);
  const tokenPolicies = createTokenPolicies(catalog);
  const tokenExchange = createTokenExchange({ catalog, accessTokens: deps.accessTokens, users: deps.users });
  const secure = config.issuer.startsWith('https:');
  /** The language of a logout confirmation, for the signed-out page after it (prefixed where the browser enforces it: ASVS 5.0 V3.3.1). */
  const logoutLocaleCookie = secure ? '__Secure-gh_logout_locale' : 'gh_logout_locale';
  // The page's language: ui_locales of the request being answered, else the browser's.
  const textsFor = (ctx: KoaContextWithOIDC) => views.messages(ctx.oidc?.params?.ui_locales, (languages) => ctx.acceptsLanguages(languages));

  const page = async (ctx: KoaContextWithOIDC, name: string, locals: (t: Messages) => Record<string, unknown>, t = textsFor(ctx)) => {
    ctx.type = 'html';
    ctx.body = await views.render(name, { nonce: String(ctx.state.nonce ?? ''), t }, locals(t));
  };

  const configuration: Configuration = {
    adapter: deps.adapter,
    jwks: { keys: deps.keys.keys.providerJwks },
    findAccount: createFindAccount(deps.users, deps.prefetch),
    // acr and amr go into every ID token: an app can see whether the user passed a second step.
    claims: { ...STANDARD_CLAIMS, openid: ['sub', 'acr', 'amr'], sid: null, auth_time: null, iss: null } as unknown as Configuration['claims'],
    acrValues: [ACR_PASSWORD, ACR_TWO_STEP],
    // The account page's own sign-in (routes/account.ts).
    clients: [accountClientMetadata(config.issuer, config.brand.name)],
    scopes: ['openid', 'offline_access', 'profile', 'email', 'address', 'phone'],
    subjectTypes: ['public'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    discovery: {
      claim_types_supported: ['normal'],
      // RFC 8414 §2: when these are absent, client_secret_basic is all a client may assume; the
      // introspection and revocation endpoints accept what the token endpoint does.
      introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
      revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
      // RFC 8414 §2: REQUIRED with private_key_jwt among the methods above.
      introspection_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
      revocation_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
      ui_locales_supported: SUPPORTED_LOCALES,
      // Initiating User Registration via OpenID Connect 1.0 §4.1: the prompt values a client may send.
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    },
    enabledJWA: {
      idTokenSigningAlgValues: SIGNING_ALGS,
      userinfoSigningAlgValues: SIGNING_ALGS,
      introspectionSigningAlgValues: SIGNING_ALGS,
      authorizationSigningAlgValues: SIGNING_ALGS,
      clientAuthSigningAlgValues: SIGNING_ALGS,
      requestObjectSigningAlgValues: SIGNING_ALGS,
      dPoPSigningAlgValues: ['ES256', 'PS256', 'RS256', 'EdDSA'],
    } as Configuration['enabledJWA'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // The redirect_uri is always required and always matched exactly.
    allowOmittingSingleRegisteredRedirectUri: false,
    clockTolerance: 5,
    clientBasedCORS: clientBasedCors as Configuration['clientBasedCORS'],
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    // A client's documents are small; an endless response must not fill memory.
    fetchResponseBodyLimits: { 'client_id metadata document': 5 * 1024, jwks_uri: 256 * 1024, sector_identifier_uri: 64 * 1024 } as Configuration['fetchResponseBodyLimits'],
    conformIdTokenClaims: true,
    cookies: {
      // Over https the browser enforces the prefixes (ASVS 5.0 V3.3.1, V3.3.3): __Host- cookies are
      // Secure, for the whole host and no domain, so no sibling subdomain can set or shadow the session;
      // the interaction cookies are path-scoped, which __Host- forbids, so they are __Secure-.
      ...(secure ? { names: { session: '__Host-session', interaction: '__Secure-interaction', resume: '__Secure-interaction_resume' } } : {}),
      keys: [...config.secrets.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax', secure, signed: true },
      short: { httpOnly: true, sameSite: 'lax', secure, signed: true },
    },
    extraClientMetadata: {
      ...registration.extraClientMetadata,
      properties: [...(registration.extraClientMetadata?.properties ?? []), FAPI_CLIENT_PROPERTY],
    },
    extraTokenClaims: (async (ctx: KoaContextWithOIDC, token: object) => {
      const exchanged = tokenExchange.extraClaims(token);
      const claims = await resourceServers.extraTokenClaims(ctx, token as Parameters<typeof resourceServers.extraTokenClaims>[1]);
      return exchanged || claims ? { ...claims, ...exchanged } : undefined;
    }) as Configuration['extraTokenClaims'],
    features: {
      ...registration.features,
      devInteractions: { enabled: false },
      // RFC 9126: open to every client; require_pushed_authorization_requests makes it mandatory for one.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      // RFC 9449: nonces are stateless, keyed by a secret every instance shares; replayed proofs are
      // caught through the ReplayDetection model (the database), so across instances too.
      dPoP: {
        enabled: true,
        nonceSecret: config.protocol.dpop.nonceSecret,
        requireNonce: () => config.protocol.dpop.requireNonce,
        allowReplay: false,
      },
      deviceFlow: deviceFlowFeature({ views, clientView: deps.clientView }),
      backchannelLogout: { enabled: true },
      // JAR (RFC 9101): signed request objects for every client, required per client (require_signed_request_object).
      requestObjects: { enabled: true, requireSignedRequestObject: false },
      // JARM: response_mode=jwt (and query.jwt, fragment.jwt, form_post.jwt) for every client.
      jwtResponseModes: { enabled: true },
      fapi: { enabled: true, profile: fapiProfileOf as never },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: tokenPolicies.introspectionAllowed as never },
      revocation: { enabled: true, allowedPolicy: tokenPolicies.revocationAllowed as never },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: resourceServers.defaultResource as never,
        getResourceServerInfo: resourceServers.getResourceServerInfo as never,
        useGrantedResource: resourceServers.useGrantedResource as never,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx) => {
          const session = ctx.oidc.session as unknown as { state?: { secret?: string } };
          // The confirmation carries only client_id on to the signed-out page: the language the app
          // asked for (ui_locales) goes along in a cookie of the logout path, as short-lived as the form.
          if (typeof ctx.oidc.params?.ui_locales === 'string') {
            ctx.cookies.set(logoutLocaleCookie, textsFor(ctx).locale, { httpOnly: true, sameSite: 'lax', secure, path: '/session/end', maxAge: 10 * 60 * 1000 });
          }
          await page(ctx, 'logout', (t) => ({
            title: t.logoutTitle,
            clientName: ctx.oidc.client?.clientName,
            action: ctx.oidc.urlFor('end_session_confirm'),
            xsrf: session.state?.secret ?? '',
          }));
        },
        postLogoutSuccessSource: async (ctx) => {
          const remembered = ctx.cookies.get(logoutLocaleCookie);
          if (remembered) ctx.cookies.set(logoutLocaleCookie, null, { path: '/session/end', secure });
          const t = views.messages(ctx.oidc.params?.ui_locales ?? remembered, (languages) => ctx.acceptsLanguages(languages));
          await page(ctx, 'logged-out', (texts) => ({ title: texts.loggedOutTitle, clientName: ctx.oidc.client?.clientName }), t);
        },
      },
    },
    renderError: async (ctx, out) => {
      await page(ctx, 'error', (t) => ({
        title: t.errorTitle,
        message: localizedErrorDescription(t, out.error_description),
        code: out.error,
        backUrl: '/account',
      }));
    },
    interactions: { policy: interactionPolicyWithAccountSelection(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Every client with the refresh_token grant gets refresh tokens; without offline_access they end with the session.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Revoking any token of a grant ends the whole grant; consent is remembered separately.
    revokeGrantPolicy: () => true,
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) {
        const grant = await ctx.oidc.provider.Grant.find(grantId);
        if (grant) return grant;
      }
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return undefined;
      const consent = await deps.consents.find(accountId, ctx.oidc.client!.clientId);
      if (!consent) return undefined;
      // What the user allowed before becomes a fresh grant: no consent prompt unless more is asked.
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client!.clientId });
      if (consent.oidcScopes.length) grant.addOIDCScope(consent.oidcScopes.join(' '));
      if (consent.oidcClaims.length) grant.addOIDCClaims(consent.oidcClaims);
      for (const [indicator, remembered] of Object.entries(consent.resourceScopes)) {
        // Roles may have been taken away since: only what the user may still hold is granted again.
        const scopes = await resourceServers.holdableScopes(accountId, ctx.oidc.client!.clientId, indicator, remembered);
        if (scopes.length) grant.addResourceScope(indicator, scopes.join(' '));
      }
      await grant.save();
      return grant;
    },
    formats: {
      customizers: {
        jwt: async (_ctx, token, jwt) => {
          const grantId = (token as { grantId?: string }).grantId;
          if (grantId) jwt.payload[GRANT_ID_CLAIM] = grantId;
        },
      },
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.ttl.accessToken,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.ttl.accessToken,
      AuthorizationCode: (_ctx, _code, client) => fapiCodeTtl(client, config.ttl.authorizationCode),
      DeviceCode: config.protocol.deviceCodeTtl,
      IdToken: config.ttl.idToken,
      Interaction: config.ttl.interaction,
      // A session nobody signed in to (a logout or device page's form secret) is kept an hour, not for
      // the whole session lifetime: anonymous visits would otherwise pile up rows for two weeks.
      // A signed-in one ends after SESSION_IDLE_TTL unused, and SESSION_TTL after sign-in however used.
      Session: (_ctx, session) =>
        sessionTtl(session, { absolute: config.ttl.session, idle: config.ttl.sessionIdle, anonymous: ANONYMOUS_SESSION_TTL_SECONDS }),
      Grant: config.ttl.grant,
      RefreshToken: (_ctx, token) => {
        // Rotation restarts the idle lifetime; the family as a whole ends at the absolute lifetime.
        const familyStart = (token as { iiat?: number }).iiat ?? Math.floor(Date.now() / 1000);
        const remaining = familyStart + config.ttl.refreshTokenAbsolute - Math.floor(Date.now() / 1000);
        return Math.max(1, Math.min(config.ttl.refreshToken, remaining));
      },
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  includeSessionIdInIdTokens(provider);
  installClientSecretComparison(provider, async (clientId, presented) => {
    const record = await catalog.client(clientId);
    const now = Date.now();
    const active = record?.secretHashes.filter((s) => !s.expiresAt || s.expiresAt.getTime() > now) ?? [];
    return deps.hasher.matches(presented, active.map((s) => s.hash));
  });
  deps.keys.onReload((keys) => replaceSigningKeys(provider, keys.providerJwks));
  deliverBackchannelLogoutInBackground(provider, deps.sendLogoutToken);
  provider.registerGrantType(tokenExchange.grantType, tokenExchange.handler as never, tokenExchange.parameters);
  return provider;
}
