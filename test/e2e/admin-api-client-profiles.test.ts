// The per-client protocol settings through the admin API: set on create, changed and removed with
// PATCH (null removes, false turns off), shown in the client's answer, and validated as a whole.
import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';

import { adminApi, adminToken } from '../helpers/admin.js';
import { createApi } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
const OTHER = 'https://inventory.example.com';

describe('admin API: per-client protocol settings', () => {
  let server: TestServer;
  let api: ReturnType<typeof adminApi>;
  let jwks: { keys: Record<string, unknown>[] };

  before(async () => {
    server = await startTestServer();
    await createApi(server.core, API, ['orders:read']);
    await createApi(server.core, OTHER, ['inventory:read']);
    api = adminApi(server, await adminToken(server));
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
  });

  after(async () => server?.stop());

  it('creates, changes and removes the settings', async () => {
    const created = await api<Record<string, unknown>>('POST', '/clients', {
      name: 'Partner app',
      redirect_uris: ['https://partner.example.com/cb'],
      apis: [API],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks,
      require_signed_request_object: true,
      authorization_signed_response_alg: 'ES256',
      backchannel_logout_uri: 'https://partner.example.com/logout',
      backchannel_logout_session_required: true,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.include({
      require_pushed_authorization_requests: false,
      dpop_bound_access_tokens: false,
      require_signed_request_object: true,
      authorization_signed_response_alg: 'ES256',
      backchannel_logout_uri: 'https://partner.example.com/logout',
      backchannel_logout_session_required: true,
    });
    expect(created.body.jwks).to.deep.equal(jwks);
    const id = created.body.client_id as string;

    const fapi = await api<Record<string, unknown>>('PATCH', `/clients/${id}`, { fapi_profile: '2.0' });
    expect(fapi.status, JSON.stringify(fapi.body)).to.equal(200);
    expect(fapi.body).to.include({ fapi_profile: '2.0', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
    // Unrelated changes keep the settings.
    const renamed = await api<Record<string, unknown>>('PATCH', `/clients/${id}`, { name: 'Partner app 2' });
    expect(renamed.body).to.include({ fapi_profile: '2.0', require_signed_request_object: true, backchannel_logout_uri: 'https://partner.example.com/logout' });

    const removed = await api<Record<string, unknown>>('PATCH', `/clients/${id}`, {
      fapi_profile: null, dpop_bound_access_tokens: false, require_pushed_authorization_requests: false, backchannel_logout_uri: null, backchannel_logout_session_required: false, authorization_signed_response_alg: null,
    });
    expect(removed.status, JSON.stringify(removed.body)).to.equal(200);
    expect(removed.body).to.include({ require_pushed_authorization_requests: false, dpop_bound_access_tokens: false });
    expect(removed.body).to.not.have.any.keys('fapi_profile', 'backchannel_logout_uri', 'authorization_signed_response_alg');
  });

  it('refuses settings that do not fit together', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ fapi_profile: '2.0' }, 'token_endpoint_auth_method'],
      [{ fapi_profile: '1.0' }, 'fapi_profile'],
      [{ require_signed_request_object: true }, 'require_signed_request_object'],
      [{ backchannel_logout_session_required: true }, 'backchannel_logout_session_required'],
      [{ backchannel_logout_uri: 'http://partner.example.com/logout' }, 'backchannel_logout_uri'],
      [{ token_exchange_subject_apis: [API] }, 'token_exchange_subject_apis'],
      [{ grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], apis: [OTHER] }, 'token_exchange_subject_apis'],
      [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }] } }, 'jwks'],
    ];
    for (const [input, field] of cases) {
      const response = await api<{ fields?: { path: string }[] }>('POST', '/clients', { name: 'Bad', redirect_uris: ['https://bad.example.com/cb'], ...input });
      expect(response.status, JSON.stringify(input)).to.equal(400);
      expect(JSON.stringify(response.body), JSON.stringify(input)).to.include(field);
    }
  });
});
