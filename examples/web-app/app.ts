// An example web app that signs users in with Gatehouse (authorization code + PKCE, openid-client),
// shows the ID token's claims, calls the example API with the access token, refreshes the tokens
// and signs out (RP-initiated logout). Sessions are kept in memory: an example, not a template for
// production session storage.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import ejs from 'ejs';
import Koa, { type Context } from 'koa';
import * as oidc from 'openid-client';

export interface WebAppOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where this app is reached, e.g. http://127.0.0.1:8080 (redirect URI: <baseUrl>/callback). */
  baseUrl: string;
  /** The example API, and the identifier tokens for it are requested with (resource indicator). */
  apiUrl: string;
  apiIdentifier: string;
  scope?: string;
}

interface Session {
  csrf: string;
  pending?: { verifier: string; state: string; nonce: string };
  tokens?: { accessToken: string; refreshToken?: string; idToken?: string; expiresAt?: number };
  claims?: Record<string, unknown>;
  apiResult?: { status: number; body: string };
  notice?: string;
}

const VIEWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'views');
const COOKIE = 'webapp.sid';

export function createWebApp(options: WebAppOptions): Koa {
  const app = new Koa();
  app.keys = [randomBytes(32).toString('base64url')];
  const sessions = new Map<string, Session>();
  const redirectUri = `${options.baseUrl}/callback`;
  const scope = options.scope ?? 'openid profile email offline_access orders:read';
  const insecure = options.issuer.startsWith('http:');
  const configuration = oidc.discovery(new URL(options.issuer), options.clientId, options.clientSecret, oidc.ClientSecretBasic(options.clientSecret), {
    execute: insecure ? [oidc.allowInsecureRequests] : [],
  });
  configuration.catch(() => {});

  const sessionOf = (ctx: Context): Session => {
    const sid = ctx.cookies.get(COOKIE, { signed: true });
    const existing = sid ? sessions.get(sid) : undefined;
    if (existing) return existing;
    const id = randomBytes(24).toString('base64url');
    const session: Session = { csrf: randomBytes(24).toString('base64url') };
    sessions.set(id, session);
    ctx.cookies.set(COOKIE, id, { signed: true, httpOnly: true, sameSite: 'lax', secure: options.baseUrl.startsWith('https:') });
    return session;
  };

  const render = async (ctx: Context, session: Session) => {
    ctx.type = 'html';
    ctx.body = await ejs.renderFile(path.join(VIEWS, 'home.ejs'), {
      session,
      claims: session.claims ? JSON.stringify(session.claims, null, 2) : undefined,
      expiresIn: session.tokens?.expiresAt ? Math.max(0, session.tokens.expiresAt - Math.floor(Date.now() / 1000)) : undefined,
      accessTokenId: session.tokens ? tokenId(session.tokens.accessToken) : undefined,
    });
    session.notice = undefined;
  };

  const checkCsrf = async (ctx: Context, session: Session) => {
    let body = '';
    for await (const chunk of ctx.req) {
      body += String(chunk);
      if (body.length > 4096) break;
    }
    if (new URLSearchParams(body).get('csrf') !== session.csrf) ctx.throw(403, 'bad csrf token');
  };

  const storeTokens = (session: Session, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers) => {
    session.tokens = {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? session.tokens?.refreshToken,
      idToken: tokens.id_token ?? session.tokens?.idToken,
      expiresAt: tokens.expires_in ? Math.floor(Date.now() / 1000) + tokens.expires_in : undefined,
    };
    const claims = tokens.claims();
    if (claims) session.claims = { ...claims };
  };

  app.use(async (ctx) => {
    const session = sessionOf(ctx);
    const route = `${ctx.method} ${ctx.path}`;
    if (route === 'GET /') return render(ctx, session);
    if (route === 'GET /login') {
      const verifier = oidc.randomPKCECodeVerifier();
      session.pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
      const url = oidc.buildAuthorizationUrl(await configuration, {
        redirect_uri: redirectUri,
        scope,
        resource: options.apiIdentifier,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: session.pending.state,
        nonce: session.pending.nonce,
      });
      return ctx.redirect(url.href);
    }
    if (route === 'GET /callback') {
      const pending = session.pending;
      session.pending = undefined;
      if (!pending) {
        ctx.status = 400;
        ctx.body = 'no sign-in in progress';
        return;
      }
      const tokens = await oidc.authorizationCodeGrant(await configuration, new URL(ctx.href.replace(ctx.origin, options.baseUrl)), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      });
      storeTokens(session, tokens);
      session.notice = 'Signed in.';
      return ctx.redirect('/');
    }
    if (route === 'GET /call-api') {
      if (!session.tokens) return ctx.redirect('/');
      const response = await fetch(`${options.apiUrl}/orders`, { headers: { authorization: `Bearer ${session.tokens.accessToken}` } });
      session.apiResult = { status: response.status, body: await response.text() };
      return ctx.redirect('/');
    }
    if (route === 'POST /refresh') {
      await checkCsrf(ctx, session);
      if (!session.tokens?.refreshToken) return ctx.redirect('/');
      storeTokens(session, await oidc.refreshTokenGrant(await configuration, session.tokens.refreshToken));
      session.notice = 'Tokens refreshed.';
      return ctx.redirect('/');
    }
    if (route === 'POST /logout') {
      await checkCsrf(ctx, session);
      const idToken = session.tokens?.idToken;
      session.tokens = undefined;
      session.claims = undefined;
      session.apiResult = undefined;
      session.notice = 'Signed out.';
      if (!idToken) return ctx.redirect('/');
      return ctx.redirect(oidc.buildEndSessionUrl(await configuration, { id_token_hint: idToken, post_logout_redirect_uri: `${options.baseUrl}/` }).href);
    }
    ctx.status = 404;
    ctx.body = 'not found';
  });
  return app;
}

/** The jti of a JWT access token (to show that a refresh brought a new one). */
function tokenId(token: string): string | undefined {
  try {
    return String((JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti?: unknown }).jti);
  } catch {
    return undefined;
  }
}
