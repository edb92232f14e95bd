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
  expiresAt: number;
  pending?: { verifier: string; state: string; nonce: string };
  tokens?: { accessToken: string; refreshToken?: string; idToken?: string; expiresAt?: number };
  claims?: Record<string, unknown>;
  apiResult?: { status: number; body: string };
  notice?: string;
}

const VIEWS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'views');
const COOKIE = 'webapp.sid';
const SESSION_TTL = 8 * 3600 * 1000; // an app session lasts at most this long (ms), whatever the tokens say
// Notices that a redirect can ask the home page to show, by key: nothing from the URL is echoed.
const NOTICES: Record<string, string> = { 'signed-out': 'Your sign-in has ended (signed out or access revoked). Please sign in again.' };

export function createWebApp(options: WebAppOptions): Koa {
  const app = new Koa();
  app.keys = [randomBytes(32).toString('base64url')];
  const sessions = new Map<string, Session>();
  const redirectUri = `${options.baseUrl}/callback`;
  // No offline_access: Gatehouse (oidc-provider) drops it without prompt=consent, and a web app
  // signed in by the user gets a refresh token bound to the Gatehouse session anyway.
  const scope = options.scope ?? 'openid profile email orders:read';
  const insecure = options.issuer.startsWith('http:');
  // Only a successful discovery is kept: if the issuer was down, the next request tries again.
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = (): Promise<oidc.Configuration> => {
    discovered ??= oidc.discovery(new URL(options.issuer), options.clientId, options.clientSecret, oidc.ClientSecretBasic(options.clientSecret), {
      execute: insecure ? [oidc.allowInsecureRequests] : [],
    });
    discovered.catch(() => {
      discovered = undefined;
    });
    return discovered;
  };

  const cookieOptions = { signed: true, httpOnly: true, sameSite: 'lax', secure: options.baseUrl.startsWith('https:') } as const;

  /** The session of this browser, if it has a live one (a session is created only by startSession). */
  const sessionOf = (ctx: Context): { id: string; session: Session } | undefined => {
    const now = Date.now();
    // Expired sessions are dropped as they come up in insertion (= creation) order.
    for (const [id, session] of sessions) {
      if (session.expiresAt > now) break;
      sessions.delete(id);
    }
    const id = ctx.cookies.get(COOKIE, { signed: true });
    const session = id ? sessions.get(id) : undefined;
    return id && session ? { id, session } : undefined;
  };

  /** A new session under a new id; the browser's previous one, if any, is dropped (no session fixation). */
  const startSession = (ctx: Context, previous?: string): Session => {
    if (previous) sessions.delete(previous);
    const id = randomBytes(24).toString('base64url');
    const session: Session = { csrf: randomBytes(24).toString('base64url'), expiresAt: Date.now() + SESSION_TTL };
    sessions.set(id, session);
    ctx.cookies.set(COOKIE, id, cookieOptions);
    return session;
  };

  const endSession = (ctx: Context, id: string) => {
    sessions.delete(id);
    ctx.cookies.set(COOKIE, null, cookieOptions);
  };

  const failedSignIn = (ctx: Context, reason: string) => {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="en"><title>Sign-in did not complete</title><h1>Sign-in did not complete</h1><p>${escapeHtml(reason)}</p><p><a href="/">Back to the home page</a></p></html>`;
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
    const current = sessionOf(ctx);
    const route = `${ctx.method} ${ctx.path}`;
    if (route === 'GET /') {
      const notice = NOTICES[String(ctx.query.notice)];
      // A browser without a session sees the signed-out page; nothing is stored for it.
      return render(ctx, current?.session ?? { csrf: '', expiresAt: 0, notice });
    }
    if (route === 'GET /login') {
      const session = current?.session ?? startSession(ctx);
      const verifier = oidc.randomPKCECodeVerifier();
      session.pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
      const url = oidc.buildAuthorizationUrl(await configuration(), {
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
      const pending = current?.session.pending;
      if (current) current.session.pending = undefined;
      if (!pending) return failedSignIn(ctx, 'No sign-in was in progress in this browser.');
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        // The callback URL as the browser saw it (Koa 3's ctx.origin is the Origin request header, not ours).
        tokens = await oidc.authorizationCodeGrant(await configuration(), new URL(`${redirectUri}${ctx.search}`), {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
        });
      } catch (error) {
        // E.g. access_denied (the user chose Deny), a wrong iss or state: not a server error.
        const reason = error instanceof oidc.AuthorizationResponseError ? (error.error_description ?? error.error) : 'The response from Gatehouse was not valid.';
        return failedSignIn(ctx, reason);
      }
      const session = startSession(ctx, current!.id);
      storeTokens(session, tokens);
      session.notice = 'Signed in.';
      return ctx.redirect('/');
    }
    const session = current?.session;
    if (!session) return ctx.redirect('/');
    if (route === 'GET /call-api') {
      if (!session.tokens) return ctx.redirect('/');
      const response = await fetch(`${options.apiUrl}/orders`, { headers: { authorization: `Bearer ${session.tokens.accessToken}` } });
      session.apiResult = { status: response.status, body: await response.text() };
      return ctx.redirect('/');
    }
    if (route === 'POST /refresh') {
      await checkCsrf(ctx, session);
      if (!session.tokens?.refreshToken) return ctx.redirect('/');
      try {
        storeTokens(session, await oidc.refreshTokenGrant(await configuration(), session.tokens.refreshToken));
      } catch (error) {
        if (!(error instanceof oidc.ResponseBodyError)) throw error;
        // Refused (invalid_grant after "Sign out everywhere" or "Revoke access"): the user is signed out here too.
        endSession(ctx, current!.id);
        return ctx.redirect('/?notice=signed-out');
      }
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
      return ctx.redirect(oidc.buildEndSessionUrl(await configuration(), { id_token_hint: idToken, post_logout_redirect_uri: `${options.baseUrl}/` }).href);
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

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
