// The embedded database served over a socket must behave like a Postgres server for many pooled
// connections at once: extended-protocol messages from different connections never interleave,
// and a transaction on one connection is isolated from the statements of the others.
import { expect } from 'chai';
import pg from 'pg';

import { openEphemeralPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';

describe('embedded Postgres over its socket', function () {
  this.timeout(60_000);
  let embedded: EmbeddedPostgres;
  let pool: pg.Pool;

  before(async () => {
    embedded = await openEphemeralPostgres();
    pool = new pg.Pool({ ...embedded.connection, max: 8 });
    await pool.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)');
    await pool.query('INSERT INTO counters VALUES (1, 0)');
  });

  after(async () => {
    await pool?.end();
    await embedded?.close();
  });

  it('answers hundreds of concurrent parameterised queries from eight connections correctly', async () => {
    const queries = Array.from({ length: 1000 }, (_, i) => {
      const params = Array.from({ length: (i % 5) + 1 }, (_, j) => i * 10 + j);
      const sql = `SELECT ${params.map((_, j) => `$${j + 1}::int`).join(' + ')} AS total`;
      return pool.query<{ total: number }>(sql, params).then((r) => [r.rows[0]!.total, params.reduce((a, b) => a + b, 0)]);
    });
    for (const [got, expected] of await Promise.all(queries)) expect(got).to.equal(expected);
  });

  it('keeps statements whole while other connections run transactions', async () => {
    const transactions = Array.from({ length: 30 }, async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT $1::int + $2::int AS x', [1, 2]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    const queries = Array.from({ length: 600 }, (_, i) =>
      pool.query<{ x: number }>('SELECT $1::int + $2::int + $3::int + $4::int AS x', [i, 1, 2, 3]).then((r) => expect(r.rows[0]!.x).to.equal(i + 6)),
    );
    await Promise.all([...transactions, ...queries]);
  });

  it('keeps each transaction isolated from the other connections', async () => {
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query<{ n: number }>('SELECT n FROM counters WHERE id = $1', [1]);
          await client.query('UPDATE counters SET n = $1 WHERE id = $2', [rows[0]!.n + 1, 1]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }),
    );
    const { rows } = await pool.query<{ n: number }>('SELECT n FROM counters WHERE id = 1');
    expect(rows[0]!.n).to.equal(40);
  });

  it('rolls back the open transaction of a connection that goes away', async () => {
    const client = new pg.Client(embedded.connection);
    await client.connect();
    await client.query('BEGIN');
    await client.query('UPDATE counters SET n = -1 WHERE id = 1');
    await client.end();
    const { rows } = await pool.query<{ n: number }>('SELECT n FROM counters WHERE id = 1');
    expect(rows[0]!.n).to.equal(40);
  });
});
