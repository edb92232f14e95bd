// The store stays flat under a run of short-lived tokens: the janitor, on its schedule inside the
// server, removes what each round left behind once it expired. (scripts/janitor-soak.ts is the long run.)
import { expect } from 'chai';

import { metricValue, parseMetrics } from '../helpers/metrics.js';
import { prepareShortLivedLoad } from '../helpers/short-lived-load.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SHORT = '3';

describe('store stays flat under short-lived tokens (scheduled janitor)', function () {
  this.timeout(120_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      env: {
        SESSION_TTL: SHORT,
        // Long enough for a slow sign-in; completed interactions are deleted by the library anyway.
        INTERACTION_TTL: '30',
        GRANT_TTL: SHORT,
        AUTHORIZATION_CODE_TTL: SHORT,
        REFRESH_TOKEN_TTL: SHORT,
        REFRESH_TOKEN_ABSOLUTE_TTL: SHORT,
        AUDIT_RETENTION_SECONDS: '2',
        JANITOR_INTERVAL_SECONDS: '1',
      },
    });
  });

  after(async () => server?.stop());

  it('returns oidc_models and audit_events to empty after every round', async () => {
    const load = await prepareShortLivedLoad(server.core, server.issuer);
    for (let round = 0; round < 3; round += 1) {
      await load.round(4);
      const after = await load.counts();
      // Each flow leaves a session, a grant, a used code and two refresh tokens (one rotated).
      expect(after.oidc_models).to.be.at.least(4 * 4);
      let counts = after;
      for (let i = 0; i < 60 && (counts.oidc_models > 0 || counts.audit_events > 0); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        counts = await load.counts();
      }
      expect(counts.oidc_models, `round ${round}`).to.equal(0);
      expect(counts.audit_events, `round ${round}`).to.equal(0);
    }
    const samples = parseMetrics(await server.running.gatehouse.metrics.registry.metrics());
    // Rows also leave by the library's own hand (finished interactions, revoked grants), and the janitor
    // may remove a round's first rows while the round still runs: its count is not the sum of the peaks.
    expect(metricValue(samples, 'gatehouse_janitor_deleted_rows_total', { table: 'oidc_models' })).to.be.greaterThan(0);
    expect(metricValue(samples, 'gatehouse_janitor_runs_total', { result: 'completed' })).to.be.at.least(3);
  });
});
