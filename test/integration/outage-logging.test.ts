// A store that keeps failing while it is down (the audit log's database, the rate-limit Redis) is
// logged once when it starts failing and once when it works again, not at every retry. A TCP proxy
// in front of the real server makes it fail and come back.
import { PassThrough } from 'node:stream';

import { expect } from 'chai';

import { loadConfig } from '../../src/config/config.js';
import { createCore } from '../../src/core.js';
import { createKnex } from '../../src/db/database.js';
import { AuditEventRepository } from '../../src/repositories/audit-events.js';
import { AuditLog } from '../../src/services/audit-log.js';
import { createLogger, type Logger } from '../../src/services/logger.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { testEnv } from '../helpers/test-config.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function capturingLogger(): { logger: Logger; messages(): string[] } {
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const logger = createLogger({ level: 'info', destination: sink });
  return {
    logger,
    messages: () =>
      output
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { msg: string }).msg),
  };
}

async function waitFor(condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(100);
  }
}

const count = (messages: string[], text: string) => messages.filter((m) => m === text).length;

describe('outage logging: once when failing starts, once when it ends', function () {
  this.timeout(60_000);
  let testDb: TestDatabase;
  let proxy: TcpProxy;

  before(async function () {
    if (!serverUrl()) this.skip();
    testDb = await createTestDatabase();
  });
  afterEach(async () => proxy?.close());
  after(async () => testDb?.drop());

  it('the audit log: one failure line and one recovery line for a database outage with many retries', async () => {
    const target = new URL(testDb.url!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const knex = createKnex(proxy.url(testDb.url!), { poolMax: 2, statementTimeoutMs: 2000, connectTimeoutMs: 500 });
    const { logger, messages } = capturingLogger();
    const audit = new AuditLog(new AuditEventRepository(knex), logger, { flushIntervalMs: 50, batchSize: 100 });
    try {
      proxy.setMode('refuse');
      audit.record({ type: 'test.outage', outcome: 'success', details: { marker: target.pathname } });
      // Many retries, one every 50 ms.
      await sleep(1500);
      proxy.setMode('forward');
      await waitFor(async () => (await testDb.database.knex('audit_events').where({ type: 'test.outage' }).count({ n: '*' }))[0]!.n === '1');
      await audit.close();
      expect(count(messages(), 'writing audit events failed; will retry')).to.equal(1);
      expect(count(messages(), 'writing audit events works again; the buffered events are stored')).to.equal(1);
    } finally {
      await knex.destroy();
    }
  });

  it('the rate-limit store: one warning and one recovery line while Redis is unreachable and reconnects', async function () {
    const redisUrl = process.env.TEST_REDIS_URL;
    if (!redisUrl) this.skip();
    const target = new URL(redisUrl);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    proxy.setMode('refuse');
    const { logger, messages } = capturingLogger();
    const core = createCore({ config: loadConfig(testEnv({ DATABASE_URL: testDb.url, REDIS_URL: proxy.url(redisUrl) })), database: testDb.database, logger });
    try {
      core.rateLimits.create('outage-logging', { points: 10, durationSeconds: 60 });
      // ioredis reconnects every few hundred ms at first: several failures.
      await sleep(2500);
      proxy.setMode('forward');
      await waitFor(() => messages().includes('rate-limit store available again'));
      expect(count(messages(), 'rate-limit store unavailable; using the per-process fallback limiter')).to.equal(1);
      expect(count(messages(), 'rate-limit store available again')).to.equal(1);
    } finally {
      await core.rateLimits.close();
    }
  });
});
