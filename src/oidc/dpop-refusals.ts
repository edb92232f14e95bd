// RFC 9449 §5 and §7.1: a DPoP proof the server refuses is answered invalid_dpop_proof. oidc-provider
// answers two cases with other codes and hides why: a replayed proof (same jti) is invalid_grant at
// the token endpoint and invalid_token at userinfo, and a token request without the proof a client is
// bound to use is invalid_grant ("grant request is invalid" either way). Its error events carry the
// reason; the answer is corrected from it (by the OAuth error conformance layer, after the request).
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

const REASONS = new Map([
  ['DPoP proof JWT Replay detected', 'the DPoP proof was already used (replayed jti)'],
  ['DPoP proof JWT not provided', 'this client must send a DPoP proof'],
]);

const FLAG = Symbol('dpopRefusal');

interface ErrorWithDetail {
  error?: string;
  error_detail?: unknown;
}

/** Notes on the request why oidc-provider refused its DPoP proof, when it says so only in the detail. */
export function noteDpopRefusals(provider: Provider): void {
  const note = (ctx: { state: Record<symbol, unknown> }, error: ErrorWithDetail) => {
    const description = typeof error.error_detail === 'string' ? REASONS.get(error.error_detail) : undefined;
    if (description) ctx.state[FLAG] = { from: error.error, description };
  };
  provider.on('grant.error', note);
  provider.on('userinfo.error', note);
}

/** Rewrites the answer when oidc-provider refused a DPoP proof under another error code (see above). */
export function correctDpopRefusal(ctx: Context): void {
  const refusal = (ctx.state as Record<symbol, { from?: string; description: string } | undefined>)[FLAG];
  if (!refusal) return;
  const body = ctx.body as { error?: string; error_description?: string } | undefined;
  if (!body || typeof body !== 'object' || body.error !== refusal.from) return;
  ctx.body = { ...body, error: 'invalid_dpop_proof', error_description: refusal.description };
  const challenge = ctx.response.get('WWW-Authenticate');
  if (challenge) {
    ctx.set(
      'WWW-Authenticate',
      challenge
        .replace(`error="${refusal.from}"`, 'error="invalid_dpop_proof"')
        .replace(/error_description="[^"]*"/, `error_description="${refusal.description}"`),
    );
  }
}
