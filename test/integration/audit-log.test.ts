// The audit log writes in batches off the request path and loses nothing on a graceful stop.
import { expect } from 'chai';

import { AuditEventRepository } from '../../src/repositories/audit-events.js';
import { AuditLog } from '../../src/services/audit-log.js';
import { createLogger } from '../../src/services/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

describe('audit log', () => {
  let testDb: TestDatabase;
  let repository: AuditEventRepository;

  before(async () => {
    testDb = await createTestDatabase();
    repository = new AuditEventRepository(testDb.database.knex);
  });
  after(async () => testDb?.drop());

  it('buffers events and writes them all on close', async () => {
    const log = new AuditLog(repository, createLogger({ level: 'silent' }), { flushIntervalMs: 60_000, batchSize: 1000 });
    for (let i = 0; i < 25; i += 1) log.record({ type: 'login.failure', outcome: 'failure', clientId: 'c1', details: { i } });
    expect(await repository.query({ limit: 100 })).to.have.length(0);
    await log.close();
    const stored = await repository.query({ type: 'login.failure', limit: 100 });
    expect(stored).to.have.length(25);
    expect(stored[0]!.details).to.deep.equal({ i: 24 });
  });

  it('flushes when a batch fills, without waiting for the timer', async () => {
    const log = new AuditLog(repository, createLogger({ level: 'silent' }), { flushIntervalMs: 60_000, batchSize: 10 });
    for (let i = 0; i < 10; i += 1) log.record({ type: 'token.issued', outcome: 'success', clientId: 'batch' });
    await log.flush();
    expect(await repository.query({ clientId: 'batch', limit: 100 })).to.have.length(10);
    await log.close();
  });

  it('is append-only: rows cannot be updated', async () => {
    const error = await testDb.database.knex('audit_events').update({ type: 'tampered' }).catch((e: Error) => e);
    expect(String(error)).to.include('append-only');
  });

  it('filters by type, client, user and time, newest first', async () => {
    const log = new AuditLog(repository, createLogger({ level: 'silent' }));
    log.record({ type: 'consent.granted', outcome: 'success', clientId: 'f1', userId: 'u1' });
    log.record({ type: 'consent.granted', outcome: 'success', clientId: 'f2', userId: 'u2' });
    await log.close();
    const byUser = await repository.query({ userId: 'u2', limit: 10 });
    expect(byUser.map((e) => e.clientId)).to.deep.equal(['f2']);
    const since = await repository.query({ since: new Date(Date.now() + 60_000), limit: 10 });
    expect(since).to.have.length(0);
  });

  it('stores every field exactly, whatever characters it holds (quotes, braces, commas, backslashes, NULL-looking text)', async () => {
    const awkward = ['a "quoted", {braced} value \\ with a backslash', 'NULL', '', 'ünïcödé ✓ 𝄞', "it's"];
    const occurredAt = new Date('2026-11-28T12:34:56.789Z');
    await repository.insertMany(
      awkward.map((text, i) => ({
        occurredAt,
        type: 'field.check',
        outcome: 'success' as const,
        clientId: text,
        userId: i % 2 ? null : text,
        ip: i % 2 ? text : null,
        userAgent: text,
        requestId: `r-${i}`,
        details: { text, nested: { list: [text, i, null, true] } },
      })),
    );
    const stored = await repository.query({ type: 'field.check', limit: 10 });
    expect(stored).to.have.length(awkward.length);
    for (const event of stored) {
      const i = Number(event.requestId!.slice(2));
      const text = awkward[i]!;
      expect(event).to.deep.include({ type: 'field.check', outcome: 'success', clientId: text, userId: i % 2 ? null : text, ip: i % 2 ? text : null, userAgent: text });
      expect(event.details).to.deep.equal({ text, nested: { list: [text, i, null, true] } });
      expect(event.occurredAt.getTime()).to.equal(occurredAt.getTime());
    }
  });

  it('stores a NUL or an unpaired surrogate as U+FFFD instead of failing the batch', async () => {
    await repository.insertMany([
      { occurredAt: new Date(), type: 'odd.text', outcome: 'failure', userAgent: 'agent\u0000x', clientId: 'lone\uD800', details: { key: 'v\u0000', ['k\u0000']: 1 } },
      { occurredAt: new Date(), type: 'odd.text', outcome: 'success', clientId: 'fine' },
    ]);
    const stored = await repository.query({ type: 'odd.text', limit: 10 });
    expect(stored.map((e) => e.clientId).sort()).to.deep.equal(['fine', 'lone\uFFFD']);
    const odd = stored.find((e) => e.clientId !== 'fine')!;
    expect(odd.userAgent).to.equal('agent\uFFFDx');
    expect(odd.details).to.deep.equal({ key: 'v\uFFFD', 'k\uFFFD': 1 });
  });
});
