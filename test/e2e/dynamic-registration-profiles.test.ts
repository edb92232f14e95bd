// Dynamic registration and the protocol settings: a self-registered client may ask for PAR, DPoP
// and FAPI 2.0 (which then forces PAR and DPoP on), but not for token exchange, an unknown
// profile, or a back-channel logout URI Gatehouse would call over plain http.
import { expect } from 'chai';

import { startTestServer, type TestServer } from '../helpers/test-server.js';

const base = { client_name: 'Self-registered', redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code'], response_types: ['code'] };

describe('dynamic registration of protocol settings', () => {
  let server: TestServer;

  const register = async (metadata: Record<string, unknown>) => {
    const response = await fetch(`${server.issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...base, ...metadata }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    server = await startTestServer({ env: { DYNAMIC_REGISTRATION: 'open' } });
  });

  after(async () => server?.stop());

  it('accepts PAR, DPoP and an https back-channel logout URI', async () => {
    const { status, body } = await register({
      require_pushed_authorization_requests: true,
      dpop_bound_access_tokens: true,
      backchannel_logout_uri: 'https://app.example.com/logout',
    });
    expect(status, JSON.stringify(body)).to.equal(201);
    const stored = await server.core.clients.show(body.client_id as string);
    expect(stored.metadata).to.include({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true, backchannel_logout_uri: 'https://app.example.com/logout' });
  });

  it('refuses token exchange, an unknown profile, FAPI 2.0 with a client secret, and an http back-channel logout URI', async () => {
    const cases: Record<string, unknown>[] = [
      { grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'] },
      { fapi_profile: '1.0' },
      { fapi_profile: '2.0' },
      { backchannel_logout_uri: 'http://127.0.0.1:9/logout' },
      { backchannel_logout_uri: 'http://internal.example.com/logout' },
    ];
    for (const change of cases) {
      const { status, body } = await register(change);
      expect(status, JSON.stringify(change)).to.equal(400);
      expect(body.error, JSON.stringify(change)).to.equal('invalid_client_metadata');
    }
  });
});
