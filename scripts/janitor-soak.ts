// A long, bounded run of short-lived tokens against one in-process server with the janitor on its
// schedule, printing the row count of every store table after each round: the counts stay flat
// instead of growing with the traffic. 127.0.0.1 only.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/janitor-soak.ts
//   ROUNDS=20 FLOWS=30 npx tsx scripts/janitor-soak.ts      (embedded database without TEST_DATABASE_URL)
import { prepareShortLivedLoad, STORE_TABLES } from '../test/helpers/short-lived-load.js';
import { startTestServer } from '../test/helpers/test-server.js';

const rounds = Math.min(Number(process.env.ROUNDS ?? 12), 200);
const flows = Math.min(Number(process.env.FLOWS ?? 20), 500);
const ttl = String(Math.max(Number(process.env.TTL_SECONDS ?? 5), 2));

const server = await startTestServer({
  env: {
    SESSION_TTL: ttl,
    INTERACTION_TTL: ttl,
    GRANT_TTL: ttl,
    AUTHORIZATION_CODE_TTL: ttl,
    REFRESH_TOKEN_TTL: ttl,
    REFRESH_TOKEN_ABSOLUTE_TTL: ttl,
    AUDIT_RETENTION_SECONDS: ttl,
    JANITOR_INTERVAL_SECONDS: '2',
  },
});
try {
  const load = await prepareShortLivedLoad(server.core, server.issuer);
  console.log(`database: ${server.testDatabase.database.description}; ${rounds} rounds of ${flows} sign-in + exchange + refresh flows; TTLs ${ttl}s; janitor every 2s`);
  console.log(['round', 'flows_total', 'seconds', ...STORE_TABLES].join('\t'));
  const started = Date.now();
  for (let round = 1; round <= rounds; round += 1) {
    await load.round(flows);
    const counts = await load.counts();
    console.log([round, round * flows, ((Date.now() - started) / 1000).toFixed(1), ...STORE_TABLES.map((t) => counts[t])].join('\t'));
  }
} finally {
  await server.stop();
}
