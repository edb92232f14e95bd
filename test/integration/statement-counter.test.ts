// Every round trip over the pool is counted: knex's queries and a raw borrowed connection's (as the
// rate-limit store does), which knex's own query events do not report.
import { expect } from 'chai';

import { countStatements } from '../../src/db/instrumentation.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

describe('statement counter', () => {
  let testDb: TestDatabase;
  before(async () => {
    testDb = await createTestDatabase();
  });
  after(async () => testDb?.drop());

  it('counts knex queries and statements on borrowed connections, and stops when asked', async () => {
    const { knex } = testDb.database;
    let count = 0;
    const stop = countStatements(knex, () => (count += 1));
    await knex.raw('SELECT 1');
    const connection = (await knex.client.acquireConnection()) as { query(sql: string): Promise<unknown> };
    try {
      await connection.query('SELECT 2');
      await connection.query('SELECT 3');
    } finally {
      await knex.client.releaseConnection(connection);
    }
    expect(count).to.equal(3);
    stop();
    await knex.raw('SELECT 4');
    expect(count).to.equal(3);
  });
});
