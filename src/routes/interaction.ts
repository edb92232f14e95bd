// The sign-in pages oidc-provider sends users to: login and consent for one interaction.
import Router from '@koa/router';
import type { Context } from 'koa';
import { errors, type default as Provider, type InteractionResults } from 'oidc-provider';

import type { ConsentRepository } from '../repositories/consents.js';
import type { AuditLog } from '../services/audit-log.js';
import type { Catalog } from '../services/catalog.js';
import type { Logger } from '../services/logger.js';
import { sleep, throttleAccount, type LoginThrottle } from '../services/login-throttle.js';
import type { TwoStepService } from '../services/two-step.js';
import type { UserService } from '../services/users.js';
import { ACCOUNT_CLIENT_ID } from '../oidc/account-client.js';
import { SELECT_ACCOUNT } from '../oidc/account-selection.js';
import { ACR_PASSWORD, ACR_TWO_STEP } from '../oidc/authentication-context.js';
import { loginMatchingHint } from '../oidc/id-token-hint.js';
import type { CsrfTokens } from '../ui/csrf.js';
import type { Messages } from '../ui/messages.js';
import type { PendingLogins } from '../ui/pending-login.js';
import { localizedErrorDescription } from '../ui/error-descriptions.js';
import { formBody } from '../ui/form-body.js';
import type { ViewRenderer } from '../ui/views.js';
import { requestFacts } from './request-facts.js';


/** The prompts the sign-in page answers: login, and select_account (the user signs in with the account they choose). */
const asksToSignIn = (details: { prompt: { name: string } }) => details.prompt.name === 'login' || details.prompt.name === SELECT_ACCOUNT;

export interface InteractionRouteDependencies {
  provider: Provider;
  users: UserService;
  catalog: Catalog;
  consents: ConsentRepository;
  views: ViewRenderer;
  csrf: CsrfTokens;
  audit: AuditLog;
  logger: Logger;
  throttle: LoginThrottle;
  twoStep: TwoStepService;
  pendingLogins: PendingLogins;
}

interface ClientView {
  name: string;
  logoUri: string | undefined;
  policyUri: string | undefined;
  tosUri: string | undefined;
  /** Registered itself (dynamic registration): the operator has not verified it. */
  unverified: boolean;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export function createInteractionRouter(deps: InteractionRouteDependencies): Router {
  const { provider, views, csrf } = deps;
  const router = new Router();
  const parseForm = formBody();
  /** The page's language: the request's ui_locales, else the browser's. */
  const textsFor = (ctx: Context, details?: Details): Messages => views.messages(details?.params.ui_locales, (languages) => ctx.acceptsLanguages(languages));

  const clientView = async (clientId: unknown): Promise<ClientView | undefined> => {
    if (typeof clientId !== 'string') return undefined;
    const client = await provider.Client.find(clientId);
    if (!client) return undefined;
    return {
      name: client.clientName ?? client.clientId,
      logoUri: client.logoUri,
      policyUri: client.policyUri,
      tosUri: client.tosUri,
      unverified: (await deps.catalog.client(clientId))?.dynamic ?? false,
    };
  };

  const render = async (ctx: Context, page: string, t: Messages, locals: Record<string, unknown>, status = 200) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = await views.render(page, { nonce: ctx.state.nonce as string, t }, locals);
  };

  const renderLogin = async (ctx: Context, details: Details, error?: string, login = '', status = 200) => {
    const t = textsFor(ctx, details);
    await render(ctx, 'login', t, {
      title: t.loginTitle,
      client: await clientView(details.params.client_id),
      action: `/interaction/${details.uid}/login`,
      csrf: csrf.issue(details.uid),
      error,
      login: login || (typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 254) : ''),
    }, status);
  };

  const renderSecondStep = async (ctx: Context, details: Details, pending: string, error?: string, status = 200) => {
    const t = textsFor(ctx, details);
    await render(ctx, 'totp', t, {
      title: t.totpTitle,
      client: await clientView(details.params.client_id),
      action: `/interaction/${details.uid}/two-step`,
      csrf: csrf.issue(details.uid),
      pending,
      error,
    }, status);
  };

  /**
   * What the client asks for, by OpenID scope and by API. Normally only what the user has not granted
   * yet; with prompt=consent and everything granted before, nothing is missing, and the page shows
   * what the existing grant holds of the request (OpenID Connect Core §3.1.2.1: the user is asked
   * again, and knows what for). The grant, not the request, because it holds only what this user
   * may have (roles) for the API the request resolves to.
   */
  const requestedForConsent = async (details: Details) => {
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope?.length || Object.keys(missing.missingResourceScopes ?? {}).length) return missing;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    if (!grant) return missing;
    const words = new Set(String(details.params.scope ?? '').split(' ').filter(Boolean));
    const named = details.params.resource ? new Set([details.params.resource].flat().map(String)) : undefined;
    const missingResourceScopes: Record<string, string[]> = {};
    for (const indicator of Object.keys(grant.resources ?? {})) {
      const held = grant.getResourceScopeFiltered(indicator, words);
      if (held && (!named || named.has(indicator))) missingResourceScopes[indicator] = held.split(' ');
    }
    const oidc = grant.getOIDCScopeFiltered(words);
    return { missingOIDCScope: oidc ? oidc.split(' ') : [], missingResourceScopes };
  };

  const scopesForConsent = async (details: Details, t: Messages) => {
    const promptDetails = await requestedForConsent(details);
    const scopes: { name: string; description: string | undefined }[] = [];
    for (const scope of promptDetails.missingOIDCScope ?? []) {
      scopes.push({ name: scope, description: t.scopeDescriptions[scope] });
    }
    const apis: string[] = [];
    for (const [indicator, names] of Object.entries(promptDetails.missingResourceScopes ?? {})) {
      const api = await deps.catalog.api(indicator);
      apis.push(api?.name && api.name !== indicator ? `${api.name} (${indicator})` : indicator);
      for (const name of names) {
        scopes.push({ name, description: api?.scopes.find((s) => s.name === name)?.description ?? undefined });
      }
    }
    return { scopes, apis };
  };

  /**
   * Records the result on the interaction this request already read (and whose session it checked)
   * and sends the browser back to the authorization endpoint. This is what oidc-provider's
   * interactionResult does, without reading the interaction and its session a second time.
   */
  const finish = async (ctx: Context, details: Details, result: InteractionResults, merge: boolean) => {
    // As if it had been read again now: one that expired while the password was checked is gone.
    if (details.exp <= Math.floor(Date.now() / 1000)) throw new errors.SessionNotFound('interaction session expired');
    // A sign-in on the select_account prompt's page is the account the user selected.
    const answered = details.prompt.name === SELECT_ACCOUNT && 'login' in result ? { ...result, [SELECT_ACCOUNT]: {} } : result;
    details.result = merge && !('error' in answered) ? { ...details.lastSubmission, ...answered } : answered;
    await details.persist();
    ctx.status = 303;
    ctx.redirect(details.returnTo);
  };

  const requireCsrf = (ctx: Context, uid: string) => {
    const body = ctx.request.body as Record<string, unknown> | undefined;
    if (!csrf.verify(uid, body?.csrf)) {
      throw new errors.InvalidRequest(textsFor(ctx).errorForm);
    }
  };

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      const t = textsFor(ctx);
      if (error instanceof errors.SessionNotFound) {
        await render(ctx, 'error', t, { title: t.errorTitle, message: t.errorExpired, code: 'interaction_expired', backUrl: '/account' }, 400);
        return;
      }
      if (error instanceof errors.OIDCProviderError) {
        await render(ctx, 'error', t, { title: t.errorTitle, message: localizedErrorDescription(t, error.error_description), code: error.error, backUrl: '/account' }, error.statusCode);
        return;
      }
      throw error;
    }
  });

  router.get('/interaction/:uid', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    if (asksToSignIn(details)) {
      await renderLogin(ctx, details);
      return;
    }
    if (details.prompt.name === 'consent' && details.params.client_id === ACCOUNT_CLIENT_ID) {
      // The account page is Gatehouse's own: signing in to it needs no consent.
      const { grantId } = await grantRequested(details);
      await finish(ctx, details, { consent: { grantId } }, true);
      return;
    }
    if (details.prompt.name === 'consent') {
      const t = textsFor(ctx, details);
      const client = await clientView(details.params.client_id);
      const { scopes, apis } = await scopesForConsent(details, t);
      await render(ctx, 'consent', t, {
        title: t.consentTitle,
        client: client ?? { name: String(details.params.client_id) },
        scopes,
        apis,
        csrf: csrf.issue(details.uid),
        confirmAction: `/interaction/${details.uid}/confirm`,
        denyAction: `/interaction/${details.uid}/abort`,
      });
      return;
    }
    throw new errors.InvalidRequest(`unsupported interaction prompt ${details.prompt.name}`);
  });

  router.post('/interaction/:uid/login', parseForm, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid || !asksToSignIn(details)) throw new errors.SessionNotFound('interaction mismatch');
    requireCsrf(ctx, details.uid);
    const body = ctx.request.body as Record<string, unknown>;
    const login = typeof body.login === 'string' ? body.login.slice(0, 254) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const named = login ? await deps.users.findForSignIn(login) : undefined;
    const account = throttleAccount(login, named);
    const verdict = await deps.throttle.check(account, ctx.ip);
    if (verdict.blocked) {
      deps.audit.record({ type: 'login.throttled', outcome: 'failure', clientId: String(details.params.client_id), userId: named?.id, ...requestFacts(ctx), details: { retry_after: verdict.retryAfterSeconds } });
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      await renderLogin(ctx, details, textsFor(ctx, details).tooManyAttempts(Math.ceil(verdict.retryAfterSeconds / 60)), login, 429);
      return;
    }
    if (verdict.delayMs) await sleep(verdict.delayMs);
    const user = login && password ? await deps.users.verifySignIn(named, password) : undefined;
    if (!user) {
      // The account named, when there is one, so an operator sees which account is under attack
      // (the page says the same to the visitor either way).
      deps.audit.record({
        type: 'login.failure',
        outcome: 'failure',
        clientId: String(details.params.client_id),
        userId: named?.id,
        ...requestFacts(ctx),
        details: { reason: named ? 'invalid_credentials' : 'unknown_account' },
      });
      await renderLogin(ctx, details, textsFor(ctx, details).invalidCredentials, login);
      return;
    }
    await deps.throttle.recordSuccess(account, ctx.ip, verdict);
    // The user row read for the password says whether a second factor is enrolled.
    if (user.twoStepEnrolled) {
      deps.audit.record({ type: 'login.password_verified', outcome: 'success', clientId: String(details.params.client_id), userId: user.id, ...requestFacts(ctx) });
      await renderSecondStep(ctx, details, deps.pendingLogins.issue(details.uid, user.id));
      return;
    }
    deps.audit.record({ type: 'login.success', outcome: 'success', clientId: String(details.params.client_id), userId: user.id, ...requestFacts(ctx), details: { amr: ['pwd'] } });
    await finish(ctx, details, loginMatchingHint(details.params, { accountId: user.id, amr: ['pwd'], acr: ACR_PASSWORD }), false);
  });

  router.post('/interaction/:uid/two-step', parseForm, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid || !asksToSignIn(details)) throw new errors.SessionNotFound('interaction mismatch');
    requireCsrf(ctx, details.uid);
    const body = ctx.request.body as Record<string, unknown>;
    const userId = deps.pendingLogins.verify(details.uid, body.pending);
    if (!userId) throw new errors.SessionNotFound('the second step expired');
    const code = typeof body.code === 'string' ? body.code.slice(0, 32) : '';
    const t = textsFor(ctx, details);
    const throttleKey = `two-step:${userId}`;
    const verdict = await deps.throttle.check(throttleKey, ctx.ip);
    if (verdict.blocked) {
      deps.audit.record({ type: 'login.throttled', outcome: 'failure', clientId: String(details.params.client_id), userId, ...requestFacts(ctx), details: { step: 'totp', retry_after: verdict.retryAfterSeconds } });
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      await renderSecondStep(ctx, details, String(body.pending), t.tooManyAttempts(Math.ceil(verdict.retryAfterSeconds / 60)), 429);
      return;
    }
    if (verdict.delayMs) await sleep(verdict.delayMs);
    const factor = await deps.twoStep.verify(userId, code);
    if (!factor) {
      deps.audit.record({ type: 'login.failure', outcome: 'failure', clientId: String(details.params.client_id), userId, ...requestFacts(ctx), details: { reason: 'invalid_second_factor' } });
      await renderSecondStep(ctx, details, String(body.pending), t.invalidCode);
      return;
    }
    await deps.throttle.recordSuccess(throttleKey, ctx.ip, verdict);
    // RFC 8176: a recovery code is a second factor but no registered method name fits it.
    const amr = factor === 'totp' ? ['pwd', 'otp', 'mfa'] : ['pwd', 'mfa'];
    deps.audit.record({ type: 'login.success', outcome: 'success', clientId: String(details.params.client_id), userId, ...requestFacts(ctx), details: { amr, second_factor: factor } });
    await finish(ctx, details, loginMatchingHint(details.params, { accountId: userId, amr, acr: ACR_TWO_STEP }), false);
  });

  /** Adds what the consent prompt asks for to the interaction's grant and saves it. */
  const grantRequested = async (details: Details) => {
    const accountId = details.session?.accountId;
    const clientId = details.params.client_id;
    if (!accountId || typeof clientId !== 'string') throw new errors.SessionNotFound('no signed-in user for this interaction');
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId });
    // What the page showed: the missing scopes, or with prompt=consent what is asked again (the audit says so).
    const promptDetails = await requestedForConsent(details);
    if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '));
    if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(promptDetails.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return { grantId, grant, accountId, clientId, promptDetails };
  };

  router.post('/interaction/:uid/confirm', parseForm, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid || details.prompt.name !== 'consent') throw new errors.SessionNotFound('interaction mismatch');
    requireCsrf(ctx, details.uid);
    const { grantId, grant, accountId, clientId, promptDetails } = await grantRequested(details);
    await rememberConsent(deps.consents, accountId, clientId, grant);
    deps.audit.record({
      type: 'consent.granted',
      outcome: 'success',
      clientId,
      userId: accountId,
      ...requestFacts(ctx),
      details: { scopes: [...(promptDetails.missingOIDCScope ?? []), ...Object.values(promptDetails.missingResourceScopes ?? {}).flat()] },
    });
    await finish(ctx, details, { consent: { grantId } }, true);
  });

  router.post('/interaction/:uid/abort', parseForm, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    requireCsrf(ctx, details.uid);
    deps.audit.record({
      type: 'consent.denied',
      outcome: 'failure',
      clientId: String(details.params.client_id),
      userId: details.session?.accountId ?? null,
      ...requestFacts(ctx),
    });
    await finish(ctx, details, { error: 'access_denied', error_description: 'End-User denied the request' }, false);
  });

  return router;
}

/** Remembers what the user allowed, merged with what they allowed before, for later grants. */
async function rememberConsent(
  consents: ConsentRepository,
  accountId: string,
  clientId: string,
  grant: InstanceType<Provider['Grant']>,
): Promise<void> {
  const existing = await consents.find(accountId, clientId);
  const union = (a: string[] = [], b: string[] = []) => [...new Set([...a, ...b])];
  const resourceScopes: Record<string, string[]> = { ...(existing?.resourceScopes ?? {}) };
  for (const [indicator, scope] of Object.entries(grant.resources ?? {})) {
    resourceScopes[indicator] = union(resourceScopes[indicator], String(scope).split(' ').filter(Boolean));
  }
  await consents.save({
    accountId,
    clientId,
    oidcScopes: union(existing?.oidcScopes, grant.openid?.scope?.split(' ').filter(Boolean)),
    oidcClaims: union(existing?.oidcClaims, grant.openid?.claims),
    resourceScopes,
  });
}
