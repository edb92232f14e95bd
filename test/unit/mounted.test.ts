// A router mounted at its paths runs for those paths (and below) only.
import { expect } from 'chai';
import type { Context, Next } from 'koa';

import { mountedAt } from '../../src/middleware/koa-mounted.js';

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
