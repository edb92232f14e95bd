// An example API that accepts only Gatehouse access tokens: validated locally against the JWKS
// (issuer, audience, typ at+jwt, signature) or, with mode "introspection", by asking Gatehouse
// (which also sees revocations at once). Each route names the scope it needs (RFC 6750 errors).
// DPoP-bound tokens (cnf.jkt) are accepted only with the DPoP scheme and a valid proof (RFC 9449).
import { createHash } from 'node:crypto';

import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, errors, jwtVerify, type JWTPayload } from 'jose';
import Koa, { type Context, type Next } from 'koa';

export interface ResourceServerOptions {
  issuer: string;
  /** This API's identifier: the `aud` its tokens carry. */
  audience: string;
  mode: 'jwks' | 'introspection';
  /** The API's own client (`gatehouse clients create --introspect-for <audience>`), for introspection mode. */
  introspectionClient?: { clientId: string; clientSecret: string };
  /** Where this API is reached from outside (e.g. behind a proxy), for the DPoP `htu`; default: protocol and Host of the request. */
  baseUrl?: string;
}

interface Caller {
  sub: string;
  clientId: string;
  scopes: Set<string>;
}

const ALGORITHMS = ['ES256', 'PS256', 'RS256', 'EdDSA'];
const PROOF_MAX_AGE = 60; // seconds either side of now for a DPoP proof's iat

class Unauthorized extends Error {
  constructor(readonly scheme: 'Bearer' | 'DPoP' = 'Bearer', readonly error = 'invalid_token') {
    super(error);
  }
}

/** Gatehouse could not be asked (down, timed out): the token may be fine, so 503 rather than 401. */
class Unavailable extends Error {}

interface Discovery {
  jwks_uri: string;
  introspection_endpoint: string;
}

export function createResourceServer(options: ResourceServerOptions): Koa {
  // Only a successful discovery is kept: if the issuer was down, the next request tries again.
  let discovered: Promise<Discovery> | undefined;
  const discovery = (): Promise<Discovery> => {
    discovered ??= fetch(`${options.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) }).then(async (r) => {
      if (!r.ok) throw new Error(`discovery failed with ${r.status}`);
      return (await r.json()) as Discovery;
    });
    discovered.catch(() => {
      discovered = undefined;
    });
    return discovered;
  };
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  // DPoP proof ids seen recently (jti -> expiry, in insertion order), to refuse a replayed proof.
  const seenProofs = new Map<string, number>();

  const verifyLocally = async (token: string): Promise<JWTPayload> => {
    jwks ??= createRemoteJWKSet(new URL((await discovery()).jwks_uri));
    const { payload } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      typ: 'at+jwt', // refuses ID tokens and any other JWT Gatehouse signs
      algorithms: ALGORITHMS,
    }).catch((error: unknown) => {
      // A bad token is a 401; failing to fetch the JWKS is not the caller's fault.
      throw error instanceof errors.JOSEError && !(error instanceof errors.JWKSTimeout) ? new Unauthorized() : new Unavailable(String(error));
    });
    return payload;
  };

  const introspect = async (token: string): Promise<JWTPayload> => {
    const client = options.introspectionClient;
    if (!client) throw new Error('introspection mode needs the API client credentials');
    const response = await fetch((await discovery()).introspection_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Unavailable(`introspection failed with ${response.status}`);
    const result = (await response.json()) as JWTPayload & { active?: boolean };
    const audiences = Array.isArray(result.aud) ? result.aud : [result.aud];
    if (result.active !== true || !audiences.includes(options.audience) || result.iss !== options.issuer) throw new Unauthorized();
    return result;
  };

  // RFC 9449 §4.3: the proof is signed by the token's key, for this request, fresh, and used once.
  const verifyProof = async (ctx: Context, token: string, jkt: string): Promise<void> => {
    const proofs = ctx.headers.dpop;
    if (typeof proofs !== 'string') throw new Unauthorized('DPoP', 'invalid_dpop_proof');
    const { payload, protectedHeader } = await jwtVerify(proofs, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ALGORITHMS }).catch(() => {
      throw new Unauthorized('DPoP', 'invalid_dpop_proof');
    });
    const now = Math.floor(Date.now() / 1000);
    // (Koa 3's ctx.origin is the Origin request header, not this server's origin.)
    const htu = `${(options.baseUrl ?? `${ctx.protocol}://${ctx.host}`).replace(/\/+$/, '')}${ctx.path}`;
    const ath = createHash('sha256').update(token).digest('base64url');
    const valid =
      payload.htm === ctx.method &&
      payload.htu === htu &&
      typeof payload.iat === 'number' &&
      Math.abs(now - payload.iat) <= PROOF_MAX_AGE &&
      payload.ath === ath &&
      typeof payload.jti === 'string' &&
      (await calculateJwkThumbprint(protectedHeader.jwk!)) === jkt;
    if (!valid) throw new Unauthorized('DPoP', 'invalid_dpop_proof');
    for (const [jti, expires] of seenProofs) {
      if (expires > now) break;
      seenProofs.delete(jti);
    }
    if (seenProofs.has(payload.jti!)) throw new Unauthorized('DPoP', 'invalid_dpop_proof');
    seenProofs.set(payload.jti!, now + 2 * PROOF_MAX_AGE);
  };

  const authenticate = async (ctx: Context): Promise<Caller> => {
    // Scheme names are case-insensitive (RFC 7235 §2.1).
    const match = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(ctx.get('authorization'));
    if (!match) throw new Unauthorized();
    const scheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = match[2]!;
    const claims = options.mode === 'introspection' ? await introspect(token) : await verifyLocally(token);
    const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    const bound = typeof jkt === 'string' || String(claims.token_type).toLowerCase() === 'dpop';
    // A bound token presented as Bearer would defeat the binding; a bearer token has no key to prove.
    if (bound !== (scheme === 'DPoP')) throw new Unauthorized(bound ? 'DPoP' : 'Bearer');
    if (bound) {
      if (typeof jkt !== 'string') throw new Unauthorized('DPoP');
      await verifyProof(ctx, token, jkt);
    }
    return {
      sub: String(claims.sub),
      clientId: String(claims.client_id),
      scopes: new Set(String(claims.scope ?? '').split(' ').filter(Boolean)),
    };
  };

  const requireScope = (scope: string | undefined) => async (ctx: Context, next: Next) => {
    let caller: Caller;
    try {
      caller = await authenticate(ctx);
    } catch (error) {
      if (!(error instanceof Unauthorized)) {
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = { error: 'temporarily_unavailable' };
        return;
      }
      ctx.status = 401;
      const code = ctx.get('authorization') ? error.error : undefined;
      const algs = error.scheme === 'DPoP' ? ` algs="${ALGORITHMS.join(' ')}"` : '';
      ctx.set('WWW-Authenticate', `${error.scheme} realm="${options.audience}"${code ? `, error="${code}"` : ''}${algs ? `,${algs}` : ''}`);
      ctx.body = { error: code ?? 'unauthorized' };
      return;
    }
    if (scope && !caller.scopes.has(scope)) {
      ctx.status = 403;
      ctx.set('WWW-Authenticate', `Bearer realm="${options.audience}", error="insufficient_scope", scope="${scope}"`);
      ctx.body = { error: 'insufficient_scope', scope };
      return;
    }
    ctx.state.caller = caller;
    await next();
  };

  const routes: Record<string, { scope: string | undefined; handle(ctx: Context): void }> = {
    'GET /orders': {
      scope: 'orders:read',
      handle(ctx) {
        const caller = ctx.state.caller as Caller;
        ctx.body = { owner: caller.sub, orders: [{ id: 'A-1001', item: 'Coffee beans', quantity: 2 }] };
      },
    },
    'POST /orders': {
      scope: 'orders:write',
      handle(ctx) {
        ctx.status = 201;
        ctx.body = { id: 'A-1002', created_by: (ctx.state.caller as Caller).sub };
      },
    },
    'GET /whoami': {
      scope: undefined,
      handle(ctx) {
        const caller = ctx.state.caller as Caller;
        ctx.body = { sub: caller.sub, client_id: caller.clientId, scope: [...caller.scopes].join(' ') };
      },
    },
  };

  const app = new Koa();
  app.use(async (ctx, next) => {
    const route = routes[`${ctx.method} ${ctx.path}`];
    if (!route) {
      ctx.status = 404;
      ctx.body = { error: 'not_found' };
      return;
    }
    await requireScope(route.scope)(ctx, async () => {
      route.handle(ctx);
      await next();
    });
  });
  return app;
}
