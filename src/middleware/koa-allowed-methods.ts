// The endpoints oidc-provider serves with some methods only (userinfo GET and POST, the JWKS and the
// discovery documents GET, the authorization and logout endpoints GET and POST, the registration
// endpoint POST and its client URIs GET, PUT and DELETE): another method gets 405 with an Allow header
// (RFC 9110 §15.5.6) in the OAuth error shape, not oidc-provider's 404 as if the endpoint did not
// exist. HEAD goes where GET does; OPTIONS stays with the CORS preflight handling.
import type { Middleware } from 'koa';

export interface MethodRule {
  /** An exact path, or a prefix ending in "/" for the paths below it. */
  path: string;
  methods: readonly string[];
}

export default function allowedMethods(rules: readonly MethodRule[]): Middleware {
  const exact = new Map(rules.filter((r) => !r.path.endsWith('/')).map((r) => [r.path, r.methods]));
  const prefixes = rules.filter((r) => r.path.endsWith('/'));
  return (ctx, next) => {
    if (ctx.method === 'OPTIONS') return next();
    const methods = exact.get(ctx.path) ?? prefixes.find((r) => ctx.path.startsWith(r.path) && ctx.path.length > r.path.length)?.methods;
    if (!methods || methods.includes(ctx.method) || (ctx.method === 'HEAD' && methods.includes('GET'))) return next();
    ctx.status = 405;
    ctx.set('Allow', [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', '));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'invalid_request', error_description: `this endpoint accepts ${methods.join(' and ')} only` };
  };
}
