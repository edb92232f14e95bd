// The error normaliser: an unexpected error (a failed SQL statement, say) is a 500 that reveals
// nothing — no message, stack or SQL — in {code, message, request_id}, or the error page for a browser.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';
import Koa from 'koa';

import { AppError } from '../../src/errors/app-error.js';
import errorNormaliser from '../../src/middleware/koa-error-normaliser.js';
import { createLogger } from '../../src/services/logger.js';

describe('error normaliser', () => {
  let server: http.Server;
  let base: string;
  const logged: unknown[] = [];

  before(async () => {
    const app = new Koa();
    const logger = createLogger({ level: 'silent' });
    logger.error = ((obj: unknown) => void logged.push(obj)) as typeof logger.error;
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-1';
      await next();
    });
    app.use(errorNormaliser({ logger, renderPage: async (ctx, status, code) => void (ctx.body = `<p>${code}</p>`, (ctx.type = 'html'), (ctx.status = status)) }));
    app.use((ctx) => {
      if (ctx.path === '/sql') throw Object.assign(new Error('insert into "users" ("password_hash") values ($1) - duplicate key value violates unique constraint'), { code: '23505' });
      if (ctx.path === '/app') throw new AppError('conflict', 'already exists');
      if (ctx.path === '/client') ctx.throw(400, 'Invalid JSON at position 3');
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('turns an unexpected error into a 500 without message, stack or SQL, and logs it', async () => {
    const response = await fetch(`${base}/sql`);
    expect(response.status).to.equal(500);
    const text = await response.text();
    expect(JSON.parse(text)).to.deep.equal({ code: 'internal_error', message: 'internal server error', request_id: 'req-1' });
    for (const leak of ['insert', 'users', 'duplicate', 'at ', '23505']) expect(text).to.not.include(leak);
    expect(logged).to.have.length(1);
  });

  it('answers application errors and client errors in {code, message, request_id}', async () => {
    expect(await (await fetch(`${base}/app`)).json()).to.deep.equal({ code: 'conflict', message: 'already exists', request_id: 'req-1' });
    const client = await fetch(`${base}/client`);
    expect(client.status).to.equal(400);
    expect(await client.json()).to.deep.include({ code: 'invalid_input', request_id: 'req-1' });
  });

  it('gives a browser the error page, and an unknown path a 404 in the same shape', async () => {
    const page = await fetch(`${base}/sql`, { headers: { accept: 'text/html' } });
    expect(page.status).to.equal(500);
    expect(await page.text()).to.equal('<p>internal_error</p>');
    expect(await (await fetch(`${base}/nothing`)).json()).to.deep.equal({ code: 'not_found', message: 'nothing here', request_id: 'req-1' });
  });
});
