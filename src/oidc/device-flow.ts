// The device authorization grant (RFC 8628): the pages where a user enters the code shown on a TV or
// in a terminal and confirms the device, in the design of the sign-in pages, and the limit on wrong
// codes per client address (a user code is short: guessing must stay hopeless, RFC 8628 §5.1).
import type { Middleware } from 'koa';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

import { onlyWhen } from '../middleware/koa-mounted.js';
import { consumeCounting } from '../repositories/rate-limit-store.js';
import { deviceMessagesFor, type DeviceMessages } from '../ui/device-messages.js';
import type { ViewRenderer } from '../ui/views.js';

type DeviceFlowFeature = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;

/** Set on the request when a submitted user code matched nothing: that is what counts as a guess. */
const WRONG_CODE = Symbol('device.wrongCode');
/** The user code of a verification_uri_complete link, shown in the entry form for the user to submit. */
const PREFILLED_CODE = Symbol('device.prefilledCode');

const xsrfOf = (form: string) => /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '';

export function deviceFlowFeature(deps: {
  views: ViewRenderer;
  clientView: (clientId: string) => Promise<{ name: string; logoUri?: string | undefined; unverified: boolean }>;
}): DeviceFlowFeature {
  const { views } = deps;
  const textsFor = (ctx: KoaContextWithOIDC) => {
    const t = views.messages(undefined, (languages) => ctx.acceptsLanguages(languages));
    return { t, d: deviceMessagesFor(t.locale) };
  };
  const page = async (ctx: KoaContextWithOIDC, name: string, title: (d: DeviceMessages) => string, locals: Record<string, unknown>, status = 200) => {
    const { t, d } = textsFor(ctx);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = await views.render(name, { nonce: String(ctx.state.nonce ?? ''), t }, { title: title(d), d, ...locals });
  };

  return {
    enabled: true,
    // BCDFGHJKLMNPQRSTVWXZ, 8 characters: 20^8 ≈ 2.6e10 codes (RFC 8628 §6.1).
    charset: 'base-20',
    mask: '****-****',
    deviceInfo: (ctx) => ({ ua: ctx.get('user-agent').slice(0, 200) }),
    userCodeInputSource: async (ctx, form, _out, err) => {
      const name = (err as { name?: string } | undefined)?.name;
      if (name === 'NotFoundError' || name === 'NoCodeError') (ctx.state as Record<symbol, boolean>)[WRONG_CODE] = true;
      const { d } = textsFor(ctx);
      const error =
        name === 'NotFoundError' || name === 'NoCodeError' ? d.wrongCode
        : name === 'ExpiredError' ? d.expiredCode
        : name === 'AlreadyUsedError' ? d.usedCode
        : name === 'AbortedError' ? d.aborted
        : err ? d.failed
        : undefined;
      const prefilled = (ctx.state as Record<symbol, string | undefined>)[PREFILLED_CODE];
      const submitted = ctx.oidc.params?.user_code;
      const userCode = (typeof submitted === 'string' ? submitted : (prefilled ?? '')).slice(0, 32);
      await page(ctx, 'device-code', (texts) => texts.enterTitle, { action: ctx.oidc.urlFor('code_verification'), xsrf: xsrfOf(form), error, userCode }, error && name !== 'AbortedError' ? 400 : 200);
    },
    userCodeConfirmSource: async (ctx, form, client, _deviceInfo, userCode) => {
      await page(ctx, 'device-confirm', (texts) => texts.confirmTitle, {
        action: ctx.oidc.urlFor('code_verification'),
        xsrf: xsrfOf(form),
        userCode,
        client: await deps.clientView(client.clientId),
      });
    },
    successSource: async (ctx) => {
      const client = ctx.oidc.client;
      await page(ctx, 'device-done', (texts) => texts.doneTitle, { clientName: client?.clientName ?? client?.clientId ?? '' });
    },
  } as DeviceFlowFeature;
}

/**
 * In front of the code entry form: a client address that has entered too many wrong codes gets
 * a 429 page until the window ends. Only wrong codes count (an entry is counted up front and taken
 * back unless it was a wrong code), so a user's typo costs one attempt.
 */
export function limitUserCodeGuessing(deps: {
  path: string;
  limiter: RateLimiterAbstract;
  views: ViewRenderer;
}): Middleware {
  return onlyWhen((ctx) => ctx.method === 'POST' && ctx.path === deps.path, async (ctx, next) => {
    const key = ctx.ip;
    // Counted before the code is checked, so that codes entered at the same moment see each other;
    // an entry that was not a wrong code is taken back afterwards.
    const state = await consumeCounting(deps.limiter, key);
    if (state.consumedPoints > deps.limiter.points) {
      ctx.status = 429;
      ctx.set('Retry-After', String(Math.max(1, Math.ceil(state.msBeforeNext / 1000))));
      ctx.type = 'html';
      const t = deps.views.messages(undefined, (languages) => ctx.acceptsLanguages(languages));
      const d = deviceMessagesFor(t.locale);
      ctx.body = await deps.views.render(
        'device-code',
        { nonce: String(ctx.state.nonce ?? ''), t },
        { title: d.enterTitle, d, action: deps.path, xsrf: '', error: d.tooManyAttempts, userCode: '' },
      );
      return;
    }
    try {
      await next();
    } finally {
      if (!(ctx.state as Record<symbol, boolean>)[WRONG_CODE]) await deps.limiter.reward(key, 1);
    }
  });
}

/**
 * A code posted without the session its form was issued in (no cookie, a forged one, or a session
 * that expired), or a visit to a device sign-in's resume address (/device/:uid) without it, made
 * oidc-provider fail while saving a session it never stored: a 500. The browser is sent back to a
 * fresh entry form instead.
 */
export function restartStaleCodeEntry(deps: { path: string }): Middleware {
  const resumes = `${deps.path}/`;
  const entryOrResume = (ctx: { method: string; path: string }) => (ctx.method === 'POST' && ctx.path === deps.path) || ctx.path.startsWith(resumes);
  return onlyWhen(entryOrResume, async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof TypeError) || !error.message.includes('previously persisted Sessions')) throw error;
      ctx.status = 303;
      ctx.redirect(deps.path);
    }
  });
}

/**
 * verification_uri_complete (/device?user_code=…): the library would answer with a self-submitting
 * form, whose inline script the Content-Security-Policy blocks. Instead the entry page opens with
 * the code filled in, and the user submits it (RFC 8628 §3.3.1: the user still confirms).
 */
export function prefillUserCode(deps: { path: string }): Middleware {
  return (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === deps.path && typeof ctx.query.user_code === 'string') {
      (ctx.state as Record<symbol, string>)[PREFILLED_CODE] = ctx.query.user_code.slice(0, 32);
      ctx.querystring = '';
    }
    return next();
  };
}
