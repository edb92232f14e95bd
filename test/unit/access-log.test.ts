// The access log writes one line per request with a fixed set of fields and nothing secret from
// the request (its query, interaction ids, headers), and leaves the rest of the log's redaction alone.
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';

import { expect } from 'chai';
import Koa from 'koa';

import accessLog from '../../src/middleware/koa-access-log.js';
import { createLogger } from '../../src/services/logger.js';

describe('access log', () => {
  it('logs method, path, status and request id — without the query, the interaction id or headers — and keeps redaction elsewhere', async () => {
    let output = '';
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const logger = createLogger({ level: 'info', destination: sink });
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-1';
      await next();
    });
    app.use(accessLog(logger));
    app.use((ctx) => {
      ctx.status = 204;
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/interaction/UID-SECRET-123/login?code=CODE-SECRET&access_token=AT-SECRET`, {
        headers: { authorization: 'Bearer HEADER-SECRET', cookie: '_interaction=COOKIE-SECRET' },
      });
    } finally {
      server.close();
    }
    // Redaction still applies to every other line of the same logger.
    logger.info({ client_secret: 'LOGGED-SECRET' }, 'other');
    logger.flush();
    await new Promise((resolve) => setImmediate(resolve));

    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = lines.find((line) => line.msg === 'request')!;
    expect(access).to.include({ service: 'gatehouse', request_id: 'req-1', method: 'GET', path: '/interaction/:uid/login', status: 204 });
    expect(access.duration_ms).to.be.a('number');
    for (const secret of ['UID-SECRET-123', 'CODE-SECRET', 'AT-SECRET', 'HEADER-SECRET', 'COOKIE-SECRET', 'LOGGED-SECRET']) {
      expect(output).to.not.include(secret);
    }
    expect(lines.find((line) => line.msg === 'other')).to.include({ client_secret: '[redacted]' });
  });
});
