// The single module allowed to reach into oidc-provider's internals. Each reach says why; each is
// covered by a test that fails if an upgrade of the library moves what it relies on.
import { errors } from 'oidc-provider';
import introspectionSteps from 'oidc-provider/lib/actions/introspection.js';
import { put as registrationUpdateSteps } from 'oidc-provider/lib/actions/registration.js';
import revocationSteps from 'oidc-provider/lib/actions/revocation.js';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import validateDpop, { checkDpopReplay } from 'oidc-provider/lib/helpers/validate_dpop.js';
import rejectStructuredTokens from 'oidc-provider/lib/shared/reject_structured_tokens.js';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { randomUUID } from 'node:crypto';

/**
 * oidc-provider refuses to introspect or revoke JWT access tokens because it does not store them.
 * Gatehouse's adapter can find them (signature check plus revocation list), so the refusal goes.
 * Must run before any Provider is constructed: routes copy these step arrays at construction.
 */
export function allowStructuredTokenIntrospection(): void {
  for (const steps of [introspectionSteps, revocationSteps]) {
    const index = steps.indexOf(rejectStructuredTokens);
    if (index !== -1) steps.splice(index, 1);
  }
  if (introspectionSteps.includes(rejectStructuredTokens) || revocationSteps.includes(rejectStructuredTokens)) {
    throw new Error('oidc-provider internals changed: could not enable JWT introspection');
  }
}

/** Replaces the provider's signing keys and published JWKS at run time (key rotation without restart). */
export function replaceSigningKeys(provider: Provider, keys: object[]): void {
  initializeKeystore.call(provider, { keys: structuredClone(keys) });
}

/** Client secrets are stored hashed: authentication compares against the hashes instead of the plain value. */
export function installClientSecretComparison(
  provider: Provider,
  compare: (clientId: string, presented: string) => Promise<boolean>,
): void {
  const prototype = provider.Client.prototype as unknown as {
    clientId: string;
    compareClientSecret(this: { clientId: string }, actual: string): Promise<boolean>;
  };
  prototype.compareClientSecret = function compareClientSecret(actual: string) {
    return compare(this.clientId, actual);
  };
}

/**
 * OpenID Connect Back-Channel Logout 1.0 §2.1: with backchannel_logout_session_supported (which
 * discovery says), "the sid Claim is also included in ID Tokens issued by the OP". The library adds
 * it only for clients that registered back-channel logout with sessions; every ID token carries it,
 * so that any client can match a logout (back-channel, or its own session) to the sign-in.
 */
export function includeSessionIdInIdTokens(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as { includeSid(): boolean };
  prototype.includeSid = () => true;
}

/**
 * RFC 7592 §2.2: a client update may repeat its client_secret, which must then match. The library
 * compares it with the stored value, which Gatehouse keeps only as a hash; the check goes through
 * the (hash-aware) compareClientSecret instead, and the plain value leaves the body. Must run
 * before any Provider is constructed: routes copy these step arrays at construction.
 */
export function compareHashedSecretOnClientUpdate(): void {
  const steps = registrationUpdateSteps as ((ctx: RegistrationContext, next: () => Promise<void>) => Promise<void>)[];
  const index = steps.findIndex((step) => step.name === 'equalChecks' || step.name === 'equalChecksHashed');
  if (index === -1) throw new Error('oidc-provider internals changed: the client update secret check was not found');
  if (steps[index]!.name === 'equalChecksHashed') return;
  steps[index] = async function equalChecksHashed(ctx, next) {
    const body = ctx.oidc.body as Record<string, unknown>;
    if (body.client_id !== ctx.oidc.client.clientId) {
      throw new errors.InvalidRequest("provided client_id does not match the authenticated client's one");
    }
    if ('client_secret' in body) {
      const presented = typeof body.client_secret === 'string' ? body.client_secret : '';
      if (!(await ctx.oidc.client.compareClientSecret(presented))) {
        throw new errors.InvalidRequest("provided client_secret does not match the authenticated client's one");
      }
      delete body.client_secret;
    }
    await next();
  };
}

interface RegistrationContext {
  oidc: { body: unknown; client: { clientId: string; compareClientSecret(secret: string): Promise<boolean> } };
}

/**
 * The library posts logout tokens itself and makes the user's logout wait for every client's
 * answer. Here the token is signed as the library would, then handed to `deliver`, which sends
 * it in the background (with retries): the logout page never waits for a client.
 */
export function deliverBackchannelLogoutInBackground(
  provider: Provider,
  deliver: (delivery: { clientId: string; uri: string; logoutToken: string }) => void,
): void {
  const prototype = provider.Client.prototype as unknown as { backchannelLogout(this: LogoutClient, sub: string, sid: string): Promise<void> };
  if (typeof prototype.backchannelLogout !== 'function') throw new Error('oidc-provider internals changed: Client#backchannelLogout not found');
  prototype.backchannelLogout = async function backchannelLogout(sub, sid) {
    const IdToken = provider.IdToken as unknown as new (claims: object, options: object) => LogoutTokenBuilder;
    const token = new IdToken({ sub }, { client: this, ctx: undefined });
    token.mask = { sub: null };
    token.set('events', { 'http://schemas.openid.net/event/backchannel-logout': {} });
    token.set('jti', randomUUID());
    if (this.backchannelLogoutSessionRequired) token.set('sid', sid);
    deliver({ clientId: this.clientId, uri: this.backchannelLogoutUri, logoutToken: await token.issue({ use: 'logout' }) });
  };
}

interface LogoutClient {
  clientId: string;
  backchannelLogoutUri: string;
  backchannelLogoutSessionRequired?: boolean;
}

interface LogoutTokenBuilder {
  mask: object;
  set(name: string, value: unknown): void;
  issue(options: { use: string }): Promise<string>;
}

/**
 * A DPoP proof at the token endpoint for a grant type Gatehouse registers itself (token exchange):
 * checked exactly like the library's own grants (signature, typ, htm, htu, iat or nonce, replay).
 * Undefined when the request has no DPoP header.
 */
export async function verifyTokenEndpointDpop(ctx: KoaContextWithOIDC): Promise<{ thumbprint: string; jti: string } | undefined> {
  const provider = ctx.oidc.provider;
  const proof = (await validateDpop(provider, ctx)) as { thumbprint: string; jti: string } | undefined;
  if (proof) await checkDpopReplay(provider, ctx, proof, ctx.oidc.client!.clientId);
  return proof;
}
