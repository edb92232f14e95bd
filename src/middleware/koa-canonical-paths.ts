// oidc-provider's router finds an endpoint whatever the case of its path and with a trailing slash
// (/TOKEN, /Reg, /reg/), but the layers in front of it (rate limits, initial access tokens, request
// limits, the registration response filter, the device-code guessing limit) recognise the path as
// written. An endpoint reached under another spelling would be reached past them, so those
// spellings are not found: each endpoint answers at its one path.
import type { Middleware } from 'koa';

/** oidc-provider's routes (its default paths, which Gatehouse keeps); `:name` is a parameter. */
export const PROVIDER_ROUTES = [
  '/auth',
  '/auth/:uid',
  '/token',
  '/token/introspection',
  '/token/revocation',
  '/me',
  '/jwks',
  '/request',
  '/reg',
  '/reg/:clientId',
  '/session/end',
  '/session/end/confirm',
  '/session/end/success',
  '/device',
  '/device/auth',
  '/device/:uid',
  '/backchannel',
  '/challenge',
  '/credential',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-credential-issuer',
] as const;

type Segment = { literal: string; folded: string } | null;

const fold = (text: string) => text.toUpperCase();

function compile(route: string): Segment[] {
  return route.split('/').map((part) => (part.startsWith(':') ? null : { literal: part, folded: fold(part) }));
}

/** Whether oidc-provider's router would take `parts` for this route, and whether they spell it as written. */
function compare(parts: string[], route: Segment[]): 'other' | 'exact' | 'loose' {
  if (parts.length !== route.length) return 'other';
  let exact = true;
  for (let i = 0; i < route.length; i += 1) {
    const segment = route[i]!;
    const part = parts[i]!;
    if (segment === null) {
      if (!part) return 'other';
    } else if (part !== segment.literal) {
      if (fold(part) !== segment.folded) return 'other';
      exact = false;
    }
  }
  return exact ? 'exact' : 'loose';
}

export function canonicalPaths(routes: readonly string[] = PROVIDER_ROUTES): Middleware {
  // As oidc-provider's router looks: paths without parameters first, then the others in order.
  const compiled = [...routes.filter((r) => !r.includes('/:')), ...routes.filter((r) => r.includes('/:'))].map(compile);
  const prefixes = new Set(routes.map((route) => fold(route.split('/')[1]!)));
  const taken = (parts: string[]) => {
    for (const route of compiled) {
      const relation = compare(parts, route);
      if (relation !== 'other') return relation;
    }
    return 'other';
  };
  return (ctx, next) => {
    const parts = ctx.path.split('/');
    // Most requests are for a path of some other first segment: one set lookup decides.
    if (!prefixes.has(fold(parts[1] ?? ''))) return next();
    let relation = taken(parts);
    // Failing that, the router tries the path without its trailing slash.
    if (relation === 'other' && parts.length > 2 && parts[parts.length - 1] === '') relation = taken(parts.slice(0, -1)) === 'other' ? 'other' : 'loose';
    // An endpoint under another spelling is not found, in the shape of every other unknown path
    // (the error layer in front writes it).
    return relation === 'loose' ? undefined : next();
  };
}
