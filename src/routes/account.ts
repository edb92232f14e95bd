// The account page (/account): the apps a signed-in user has allowed (each revocable), where they are
// signed in (each other session can be ended, or all with "Sign out everywhere"), password change (ending
// their other sessions) and two-step sign-in. Ending sessions and turning two-step on or off ask for the
// password again. Signing in goes through the authorization endpoint as the built-in account client.
import { createHash, randomBytes } from 'node:crypto';

import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID } from '../oidc/account-client.js';
import type { Actor } from '../services/actor.js';
import type { AuditLog } from '../services/audit-log.js';
import type { Catalog } from '../services/catalog.js';
import { sleep, type LoginThrottle } from '../services/login-throttle.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../services/password-policy.js';
import type { TwoStepService } from '../services/two-step.js';
import type { UserAccessService } from '../services/user-access.js';
import type { UserService } from '../services/users.js';
import type { CsrfTokens } from '../ui/csrf.js';
import type { Messages } from '../ui/messages.js';
import { formBody } from '../ui/form-body.js';
import type { ViewRenderer } from '../ui/views.js';
import { accountThrottleKey, reauthenticate, type Reauthentication } from './account-reauthentication.js';
import { requestFacts } from './request-facts.js';

export interface AccountRouteDependencies {
  provider: Provider;
  issuer: string;
  users: UserService;
  access: UserAccessService;
  twoStep: TwoStepService;
  catalog: Catalog;
  views: ViewRenderer;
  csrf: CsrfTokens;
  throttle: LoginThrottle;
  audit: AuditLog;
  secureCookies: boolean;
}

interface SignedIn {
  userId: string;
  sessionUid: string;
  username: string;
  displayName: string;
}

/** The account page's own sign-in state; __Secure- where the browser enforces it (ASVS 5.0 V3.3.1). */
const stateCookie = (secure: boolean) => (secure ? '__Secure-gh_account_state' : 'gh_account_state');

/** A form without its token, or posted from another site. */
class FormRejected extends Error {}

/**
 * The error code a sign-in for the account page came back with, if it is one the authorization
 * endpoint sends; any other text (the query is anyone's to write) is not shown on Gatehouse's page.
 */
const AUTHORIZATION_ERRORS = new Set([
  'access_denied', 'invalid_request', 'unauthorized_client', 'unsupported_response_type', 'invalid_scope', 'server_error', 'temporarily_unavailable',
  'login_required', 'consent_required', 'interaction_required', 'account_selection_required', 'invalid_target', 'invalid_request_uri', 'invalid_request_object',
]);

function accountErrorCode(error: unknown): string {
  if (error === undefined) return 'invalid_state';
  return typeof error === 'string' && AUTHORIZATION_ERRORS.has(error) ? error : 'invalid_response';
}

export function createAccountRouter(deps: AccountRouteDependencies): Router {
  const { provider, views, csrf } = deps;
  const router = new Router();
  const parseForm = formBody();
  const origin = new URL(deps.issuer).origin;

  const textsFor = (ctx: Context): Messages => views.messages(ctx.query.ui_locales, (languages) => ctx.acceptsLanguages(languages));
  const actorOf = (ctx: Context): Actor => ({ via: 'account', ...requestFacts(ctx) });
  const passwordOf = (body: Record<string, unknown>) => (typeof body.password === 'string' ? body.password : '');

  /** The password entered again for a sensitive change; a refusal is audited as `failedEvent`. */
  const confirmPassword = (ctx: Context, who: SignedIn, password: string, failedEvent: string, details?: Record<string, unknown>) =>
    reauthenticate(deps, who, password, requestFacts(ctx), { type: failedEvent, details });

  /** The message (and Retry-After) for a refused password; a refusal's status goes with it. */
  const refusal = (ctx: Context, result: Exclude<Reauthentication, { ok: true }>): string => {
    const t = textsFor(ctx);
    if (result.status === 400) return t.currentPasswordWrong;
    ctx.set('Retry-After', String(result.retryAfterSeconds));
    return t.tooManyAttempts(Math.ceil(result.retryAfterSeconds / 60));
  };

  const signedIn = async (ctx: Context): Promise<SignedIn | undefined> => {
    const session = await provider.Session.get(ctx as never);
    if (!session.accountId) return undefined;
    const user = await deps.users.findById(session.accountId);
    if (!user || user.disabled) return undefined;
    return { userId: user.id, sessionUid: session.uid, username: user.username, displayName: user.name ?? user.username };
  };

  const render = async (ctx: Context, page: string, locals: Record<string, unknown>, status = 200) => {
    const t = textsFor(ctx);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = await views.render(page, { nonce: String(ctx.state.nonce ?? ''), t }, { wide: true, ...locals, title: locals.title ?? t.accountTitle });
  };

  /** Every form carries a token bound to the session, and a cross-site Origin is refused. */
  const requireForm = (ctx: Context, who: SignedIn) => {
    const sentOrigin = ctx.get('origin');
    const body = ctx.request.body as Record<string, unknown> | undefined;
    // Browsers send "Origin: null" under Referrer-Policy no-referrer: only a named foreign origin is refused.
    const foreign = sentOrigin !== '' && sentOrigin !== 'null' && sentOrigin !== origin;
    if (foreign || !csrf.verify(`account:${who.sessionUid}`, body?.csrf)) throw new FormRejected();
    return body ?? {};
  };

  const requireSignIn = async (ctx: Context, next: () => Promise<unknown>) => {
    ctx.set('Cache-Control', 'no-store');
    const who = await signedIn(ctx);
    if (!who) {
      if (ctx.method === 'GET') return ctx.redirect('/account/login');
      const t = textsFor(ctx);
      return render(ctx, 'error', { title: t.errorTitle, message: t.errorForm, code: 'login_required', backUrl: '/account', wide: false }, 401);
    }
    ctx.state.account = who;
    return next();
  };

  const accountPage = async (
    ctx: Context,
    who: SignedIn,
    { notice, passwordError, twoStepError, sessionsError, status = 200 }: { notice?: string; passwordError?: string; twoStepError?: string; sessionsError?: string; status?: number } = {},
  ) => {
    const t = textsFor(ctx);
    const locale = t.locale;
    const date = (d: Date | null) => (d ? d.toLocaleDateString(locale, { year: 'numeric', month: 'long', day: 'numeric' }) : '');
    const clientName = async (clientId: string) => (await provider.Client.find(clientId))?.clientName ?? clientId;
    const grants = (await deps.access.listGrants(who.userId)).filter((g) => g.clientId !== ACCOUNT_CLIENT_ID);
    const byClient = new Map<string, { clientId: string; name: string; scopes: Map<string, string>; apis: Set<string>; since: Date | null }>();
    for (const grant of grants) {
      const entry = byClient.get(grant.clientId) ?? { clientId: grant.clientId, name: await clientName(grant.clientId), scopes: new Map(), apis: new Set(), since: grant.createdAt };
      for (const scope of grant.openidScopes) entry.scopes.set(scope, t.scopeDescriptions[scope] ?? scope);
      for (const [identifier, scopes] of Object.entries(grant.apiScopes)) {
        const api = await deps.catalog.api(identifier);
        entry.apis.add(api?.name ?? identifier);
        for (const scope of scopes) entry.scopes.set(scope, api?.scopes.find((s) => s.name === scope)?.description ?? scope);
      }
      byClient.set(grant.clientId, entry);
    }
    const apps = [...byClient.values()].map((app) => ({
      clientId: app.clientId,
      name: app.name,
      scopes: [...app.scopes.values()],
      apis: [...app.apis],
      since: date(app.since),
      action: `/account/apps/${encodeURIComponent(app.clientId)}/revoke`,
    }));
    const sessions = await Promise.all(
      (await deps.access.listSessions(who.userId)).map(async (s) => ({
        // The session's uid (never its cookie value) names it in the form that ends it.
        uid: s.uid,
        current: s.uid === who.sessionUid,
        signedIn: date(s.signedInAt ?? s.createdAt),
        apps: (await Promise.all(s.clients.filter((c) => c !== ACCOUNT_CLIENT_ID).map(clientName))).join(', '),
      })),
    );
    sessions.sort((a, b) => Number(b.current) - Number(a.current));
    await render(ctx, 'account', {
      who,
      apps,
      sessions,
      notice,
      passwordError,
      twoStepError,
      sessionsError,
      twoStep: { enabled: await deps.twoStep.isEnabled(who.userId), recoveryLeft: await deps.twoStep.recoveryCodesLeft(who.userId) },
      csrf: csrf.issue(`account:${who.sessionUid}`),
      passwordMin: PASSWORD_MIN_LENGTH,
      passwordMax: PASSWORD_MAX_LENGTH,
    }, status);
  };

  // A refused form gets the error page (403), with a way back to the account page.
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof FormRejected)) throw error;
      const t = textsFor(ctx);
      await render(ctx, 'error', { title: t.errorTitle, message: t.errorForm, code: 'invalid_form', backUrl: '/account', wide: false }, 403);
    }
  });

  router.get('/account/login', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const state = randomBytes(16).toString('base64url');
    // PKCE is required of every client; the code is never redeemed (the session is what counts here).
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    ctx.cookies.set(stateCookie(deps.secureCookies), state, { httpOnly: true, sameSite: 'lax', secure: deps.secureCookies, signed: true, path: '/account', maxAge: 15 * 60 * 1000 });
    const url = new URL(provider.urlFor('authorization') as string);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${deps.issuer}${ACCOUNT_CALLBACK_PATH}`,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(typeof ctx.query.ui_locales === 'string' ? { ui_locales: ctx.query.ui_locales } : {}),
    }).toString();
    ctx.redirect(url.toString());
  });

  router.get(ACCOUNT_CALLBACK_PATH, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const expected = ctx.cookies.get(stateCookie(deps.secureCookies), { signed: true });
    ctx.cookies.set(stateCookie(deps.secureCookies), null, { path: '/account', secure: deps.secureCookies });
    if (!expected || ctx.query.state !== expected || typeof ctx.query.error === 'string') {
      const t = textsFor(ctx);
      await render(ctx, 'error', { title: t.errorTitle, message: t.errorExpired, code: accountErrorCode(ctx.query.error), backUrl: '/account/login', wide: false }, 400);
      return;
    }
    ctx.redirect('/account');
  });

  router.get('/account', requireSignIn, async (ctx) => accountPage(ctx, ctx.state.account as SignedIn));

  router.post('/account/apps/:clientId/revoke', parseForm, requireSignIn, async (ctx) => {
    const who = ctx.state.account as SignedIn;
    requireForm(ctx, who);
    const clientId = ctx.params.clientId!;
    const name = (await provider.Client.find(clientId))?.clientName ?? clientId;
    await deps.access.revokeClient(who.userId, clientId, { actor: actorOf(ctx) });
    await accountPage(ctx, who, { notice: textsFor(ctx).accessRevoked(name) });
  });

  router.post('/account/sessions/end-all', parseForm, requireSignIn, async (ctx) => {
    const who = ctx.state.account as SignedIn;
    const body = requireForm(ctx, who);
    const confirmed = await confirmPassword(ctx, who, passwordOf(body), 'account.sessions.end_failed', { all: true });
    if (!confirmed.ok) return accountPage(ctx, who, { sessionsError: refusal(ctx, confirmed), status: confirmed.status });
    await deps.access.endSessions(who.userId, { actor: actorOf(ctx) });
    const t = textsFor(ctx);
    await render(ctx, 'logged-out', { title: t.loggedOutTitle, clientName: undefined, wide: false });
  });

  // Ends one other session of the user's, named by its uid (this browser's is ended with "Sign out").
  router.post('/account/sessions/end', parseForm, requireSignIn, async (ctx) => {
    const who = ctx.state.account as SignedIn;
    const body = requireForm(ctx, who);
    const uid = typeof body.session === 'string' ? body.session.slice(0, 128) : '';
    const confirmed = await confirmPassword(ctx, who, passwordOf(body), 'account.sessions.end_failed', { all: false });
    if (!confirmed.ok) return accountPage(ctx, who, { sessionsError: refusal(ctx, confirmed), status: confirmed.status });
    const t = textsFor(ctx);
    const ended = uid !== '' && uid !== who.sessionUid && (await deps.access.endSessionIfPresent(who.userId, uid, { actor: actorOf(ctx) }));
    if (!ended) return accountPage(ctx, who, { sessionsError: t.sessionGone, status: 404 });
    await accountPage(ctx, who, { notice: t.sessionEnded });
  });

  router.post('/account/password', parseForm, requireSignIn, async (ctx) => {
    const who = ctx.state.account as SignedIn;
    const body = requireForm(ctx, who);
    const t = textsFor(ctx);
    const current = typeof body.current_password === 'string' ? body.current_password : '';
    const next = typeof body.new_password === 'string' ? body.new_password : '';
    const verdict = await deps.throttle.check(accountThrottleKey(who), ctx.ip);
    if (verdict.blocked) {
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      deps.audit.record({ type: 'account.password.change_failed', outcome: 'failure', userId: who.userId, ...requestFacts(ctx), details: { reason: 'throttled' } });
      await accountPage(ctx, who, { passwordError: t.tooManyAttempts(Math.ceil(verdict.retryAfterSeconds / 60)), status: 429 });
      return;
    }
    // The growing delay after failures applies here as on the sign-in page (LOGIN_DELAY_AFTER).
    if (verdict.delayMs) await sleep(verdict.delayMs);
    const outcome = await deps.users.changeOwnPassword(who.userId, current, next, { actor: actorOf(ctx) });
    // The attempt was counted by check(); only a wrong current password stays counted.
    if (outcome !== 'wrong_current') await deps.throttle.recordSuccess(accountThrottleKey(who), ctx.ip, verdict);
    if (outcome === 'changed') {
      await deps.access.endSessions(who.userId, { except: who.sessionUid, actor: actorOf(ctx) });
      await accountPage(ctx, who, { notice: t.passwordChanged });
      return;
    }
    const message = { wrong_current: t.currentPasswordWrong, too_short: t.passwordTooShort(PASSWORD_MIN_LENGTH), too_long: t.passwordTooLong(PASSWORD_MAX_LENGTH), common: t.passwordCommon, context: t.passwordContext }[outcome];
    await accountPage(ctx, who, { passwordError: message, status: 400 });
  });

  router.get('/account/two-step', requireSignIn, async (ctx) => {
    const who = ctx.state.account as SignedIn;
    if (await deps.twoStep.isEnabled(who.userId)) return ctx.redirect('/account');
    const enrolment = await deps.twoStep.begin(who.userId, who.username, who.sessionUid);
    await render(ctx, 'two-step-enrol', { title: textsFor(ctx).twoStepSetUp, enrolment, csrf: csrf.issue(`account:${who.sessionUid}`), error: undefined, errorField: undefined });
  });

  router.post('/account/two-step', parseForm, requireSignIn, async (ctx) => {
    const who = ctx.state.account as SignedIn;
    const body = requireForm(ctx, who);
    const t = textsFor(ctx);
    const code = typeof body.code === 'string' ? body.code.slice(0, 32) : '';
    const enrolment = await deps.twoStep.pending(who.userId, who.username, who.sessionUid);
    if (!enrolment) return ctx.redirect('/account');
    const again = (error: string, errorField: 'password' | 'code', status: number) =>
      render(ctx, 'two-step-enrol', { title: t.twoStepSetUp, enrolment, csrf: csrf.issue(`account:${who.sessionUid}`), error, errorField }, status);
    const confirmed = await confirmPassword(ctx, who, passwordOf(body), 'account.two_step.enable_failed');
    if (!confirmed.ok) return again(refusal(ctx, confirmed), 'password', confirmed.status);
    const codes = await deps.twoStep.confirm(who.userId, code, who.sessionUid);
    if (!codes) {
      deps.audit.record({ type: 'account.two_step.enable_failed', outcome: 'failure', userId: who.userId, ...requestFacts(ctx), details: { reason: 'wrong_code' } });
      return again(t.invalidCode, 'code', 400);
    }
    deps.audit.record({ type: 'account.two_step.enabled', outcome: 'success', userId: who.userId, ...requestFacts(ctx) });
    await render(ctx, 'recovery-codes', { title: t.recoveryTitle, codes, notice: t.twoStepEnabled });
  });

  router.post('/account/two-step/disable', parseForm, requireSignIn, async (ctx) => {
    const who = ctx.state.account as SignedIn;
    const body = requireForm(ctx, who);
    const t = textsFor(ctx);
    const confirmed = await confirmPassword(ctx, who, passwordOf(body), 'account.two_step.disable_failed');
    if (!confirmed.ok) return accountPage(ctx, who, { twoStepError: refusal(ctx, confirmed), status: confirmed.status });
    await deps.twoStep.disable(who.userId);
    deps.audit.record({ type: 'account.two_step.disabled', outcome: 'success', userId: who.userId, ...requestFacts(ctx) });
    await accountPage(ctx, who, { notice: t.twoStepDisabled });
  });

  return router;
}

