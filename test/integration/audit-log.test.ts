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
});
