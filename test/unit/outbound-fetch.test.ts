// Requests to clients' URLs (jwks_uri, sector_identifier_uri) give up after the configured timeout
// instead of holding a request open, and are counted by outcome.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';

import { isDatabaseUnavailable } from '../../src/db/unavailable.js';
import { createOutboundFetch, type OutboundOutcome } from '../../src/oidc/outbound-fetch.js';

describe('outbound fetch', () => {
  let server: http.Server;
  let base: string;

  before(async () => {
    // Answers /fast at once and never answers /hang.
    server = http.createServer((req, res) => {
      if (req.url === '/fast') res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('aborts a request that does not answer within the timeout, and reports it', async () => {
    const outcomes: OutboundOutcome[] = [];
    const outbound = createOutboundFetch({ timeoutMs: 200, observe: (outcome) => outcomes.push(outcome) });
    const error = await outbound(`${base}/hang`).catch((e: unknown) => e);
    expect((error as Error).name).to.equal('TimeoutError');
    expect(await (await outbound(`${base}/fast`)).json()).to.deep.equal({ keys: [] });
    expect(outcomes).to.deep.equal(['timeout', 'ok']);
  });

  it('replaces the library signal with its own timeout (a longer one is honoured too)', async () => {
    const outbound = createOutboundFetch({ timeoutMs: 5000 });
    const response = await outbound(`${base}/fast`, { signal: AbortSignal.timeout(1) });
    expect(response.status).to.equal(200);
  });
});

describe('database unavailability', () => {
  it('recognises outages, not bugs', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).to.equal(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).to.equal(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).to.equal(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }))).to.equal(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).to.equal(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).to.equal(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).to.equal(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).to.equal(false);
    expect(isDatabaseUnavailable(new TypeError('undefined is not a function'))).to.equal(false);
  });
});
