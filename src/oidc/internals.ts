// The single module allowed to reach into oidc-provider's internals. Each reach says why; each is
// covered by a test that fails if an upgrade of the library moves what it relies on.
import introspectionSteps from 'oidc-provider/lib/actions/introspection.js';
import revocationSteps from 'oidc-provider/lib/actions/revocation.js';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import rejectStructuredTokens from 'oidc-provider/lib/shared/reject_structured_tokens.js';
import type Provider from 'oidc-provider';

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
