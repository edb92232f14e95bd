// An example API that accepts only Gatehouse access tokens: validated locally against the JWKS
// (issuer, audience, typ at+jwt, signature) or, with mode "introspection", by asking Gatehouse
// (which also sees revocations at once). Each route names the scope it needs (RFC 6750 errors).
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import Koa, { type Context, type Next } from 'koa';

export interface ResourceServerOptions {
  issuer: string;
  /** This API's identifier: the `aud` its tokens carry. */
  audience: string;
  mode: 'jwks' | 'introspection';
  /** The API's own client (`gatehouse clients create --introspect-for <audience>`), for introspection mode. */
  introspectionClient?: { clientId: string; clientSecret: string };
}

interface Caller {
  sub: string;
  clientId: string;
  scopes: Set<string>;
}

class Unauthorized extends Error {}

export function createResourceServer(options: ResourceServerOptions): Koa {
  const discovery = fetch(`${options.issuer}/.well-known/openid-configuration`).then(
    async (r) => (await r.json()) as { jwks_uri: string; introspection_endpoint: string },
  );
  // Keep the promise from failing unobserved if the issuer is down at start; requests will see the error.
  discovery.catch(() => {});
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  const verifyLocally = async (token: string): Promise<JWTPayload> => {
    jwks ??= createRemoteJWKSet(new URL((await discovery).jwks_uri));
    const { payload } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      typ: 'at+jwt', // refuses ID tokens and any other JWT Gatehouse signs
      algorithms: ['ES256', 'PS256', 'RS256', 'EdDSA'],
    });
    return payload;
  };

  const introspect = async (token: string): Promise<JWTPayload> => {
    const client = options.introspectionClient;
    if (!client) throw new Error('introspection mode needs the API client credentials');
    const response = await fetch((await discovery).introspection_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`introspection failed with ${response.status}`);
    const result = (await response.json()) as JWTPayload & { active?: boolean };
    const audiences = Array.isArray(result.aud) ? result.aud : [result.aud];
    if (result.active !== true || !audiences.includes(options.audience) || result.iss !== options.issuer) throw new Unauthorized();
    return result;
  };

  const authenticate = async (ctx: Context): Promise<Caller> => {
    const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(ctx.get('authorization'))?.[1];
    if (!token) throw new Unauthorized();
    let claims: JWTPayload;
    try {
      claims = options.mode === 'introspection' ? await introspect(token) : await verifyLocally(token);
    } catch {
      throw new Unauthorized();
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
    } catch {
      ctx.status = 401;
      const error = ctx.get('authorization') ? ', error="invalid_token"' : '';
      ctx.set('WWW-Authenticate', `Bearer realm="${options.audience}"${error}`);
      ctx.body = { error: error ? 'invalid_token' : 'unauthorized' };
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
