// A middleware runs only for the requests it applies to; a router mounted at its paths, for those paths (and below).
import { expect } from 'chai';
import type { Context, Next } from 'koa';

import { mountedAt, onlyWhen } from '../../src/middleware/koa-mounted.js';

describe('mountedAt', () => {
  it('runs the middleware for its paths and below, and passes everything else on', async () => {
    const seen: string[] = [];
    const inner = Object.assign(async (ctx: Context) => void seen.push(ctx.path), { router: { name: 'the router' } });
    const mounted = mountedAt(['/account', '/healthz'], inner);
    let passed = 0;
    const next: Next = async () => void (passed += 1);
    for (const path of ['/account', '/account/two-step', '/healthz', '/accounts', '/accountx/1', '/token', '/healthzz', '/']) {
      await mounted({ path } as Context, next);
    }
    expect(seen).to.deep.equal(['/account', '/account/two-step', '/healthz']);
    expect(passed).to.equal(5);
    expect(mounted.router).to.deep.equal({ name: 'the router' });
  });
});

describe('onlyWhen', () => {
  it('runs the middleware where it applies and otherwise hands back what next() returned, with no frame of its own', async () => {
    const ran: string[] = [];
    const layer = onlyWhen(
      (ctx) => ctx.method === 'POST',
      async (ctx: Context, next: Next) => {
        ran.push(ctx.path);
        await next();
      },
    );
    const downstream = Promise.resolve();
    const next: Next = () => downstream;
    expect(layer({ method: 'GET', path: '/a' } as Context, next)).to.equal(downstream);
    const applied = layer({ method: 'POST', path: '/b' } as Context, next);
    expect(applied).to.not.equal(downstream);
    await applied;
    expect(ran).to.deep.equal(['/b']);
  });
});
