// Rate-limit settings: POINTS/WINDOW[/BLOCK] per endpoint, per IP and per client, with defaults
// that leave a client at 100 requests per second well below every limit.
import { expect } from 'chai';

import { ConfigError } from '../../src/config/config.js';
import { parseLimitPolicy, RATE_LIMITED_ENDPOINTS } from '../../src/config/rate-limit-config.js';
import { testConfig } from '../helpers/test-config.js';

describe('rate-limit configuration', () => {
  it('parses POINTS/WINDOW[/BLOCK] with duration units', () => {
    expect(parseLimitPolicy('2000/10s')).to.deep.equal({ points: 2000, durationSeconds: 10, blockSeconds: 0 });
    expect(parseLimitPolicy('20/1m/5m')).to.deep.equal({ points: 20, durationSeconds: 60, blockSeconds: 300 });
    for (const bad of ['', '10', '0/10s', '-1/10s', '10/0', '10/x', '10/10s/x', '1/2/3/4', '1.5/10s']) expect(parseLimitPolicy(bad), bad).to.equal(undefined);
  });

  it('takes each endpoint\'s setting, and refuses a malformed one at start', () => {
    const config = testConfig({ RATE_LIMIT_TOKEN_PER_CLIENT: '50/1m/10m', RATE_LIMIT_AUTHORIZATION_PER_IP: '7/30s' });
    expect(config.rateLimits.endpoints.token.perClient).to.deep.equal({ points: 50, durationSeconds: 60, blockSeconds: 600 });
    expect(config.rateLimits.endpoints.authorization).to.deep.equal({ perIp: { points: 7, durationSeconds: 30, blockSeconds: 0 }, perClient: undefined });
    expect(() => testConfig({ RATE_LIMIT_TOKEN_PER_IP: 'lots' })).to.throw(ConfigError, /RATE_LIMIT_TOKEN_PER_IP/);
    expect(testConfig({ RATE_LIMITS: 'off' }).rateLimits.enabled).to.equal(false);
  });

  it('defaults never throttle a client at 100 requests per second', () => {
    const { endpoints } = testConfig().rateLimits;
    for (const endpoint of RATE_LIMITED_ENDPOINTS) {
      for (const policy of [endpoints[endpoint].perIp, endpoints[endpoint].perClient]) {
        // Registration keeps less headroom than the rest, but still more than 100 requests/s.
        if (policy) expect(policy.points / policy.durationSeconds, endpoint).to.be.at.least(endpoint === 'registration' ? 150 : 200);
      }
    }
  });
});
