// Discovery advertises exactly what is enabled: every member is listed here, so a feature turned
// on (or off) without this test changing fails it.
import { expect } from 'chai';

import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('discovery document', () => {
  let server: TestServer;
  let metadata: Record<string, unknown>;

  before(async () => {
    server = await startTestServer();
    metadata = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  });

  after(async () => server?.stop());

  it('answers repeated requests (served from memory) exactly as the first, with the security and CORS headers', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks']) {
      const responses = [];
      for (let i = 0; i < 3; i += 1) responses.push(await fetch(`${server.issuer}${path}`));
      const bodies = await Promise.all(responses.map((r) => r.text()));
      const headers = responses.map((r) => Object.fromEntries([...r.headers].filter(([name]) => !['date', 'x-request-id'].includes(name))));
      expect(bodies[1], path).to.equal(bodies[0]);
      expect(bodies[2], path).to.equal(bodies[0]);
      expect(headers[1], path).to.deep.equal(headers[0]);
      expect(headers[2], path).to.deep.equal(headers[0]);
      expect(headers[0], path).to.include({ 'x-content-type-options': 'nosniff', 'access-control-allow-origin': '*' });
      expect(headers[0]!['content-type'], path).to.match(/^application\/(json|jwk-set\+json)/);
      expect(new Set(responses.map((r) => r.headers.get('x-request-id'))).size, path).to.equal(3);
    }
    expect(JSON.parse(await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).text())).to.deep.equal(metadata);
  });

  it('has exactly the members of the enabled features', () => {
    expect(Object.keys(metadata)).to.have.members([
      'issuer', 'jwks_uri', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'end_session_endpoint',
      'introspection_endpoint', 'revocation_endpoint', 'acr_values_supported', 'claims_supported', 'claims_parameter_supported', 'claim_types_supported',
      'scopes_supported', 'subject_types_supported', 'response_types_supported', 'response_modes_supported', 'grant_types_supported',
      'code_challenge_methods_supported', 'authorization_response_iss_parameter_supported', 'token_endpoint_auth_methods_supported',
      'token_endpoint_auth_signing_alg_values_supported', 'id_token_signing_alg_values_supported',
      // PAR (RFC 9126)
      'pushed_authorization_request_endpoint',
      // JAR (RFC 9101): request objects by value (and through PAR), never fetched from a request_uri
      'request_parameter_supported', 'request_uri_parameter_supported', 'request_object_signing_alg_values_supported',
      // JARM
      'authorization_signing_alg_values_supported',
      // DPoP (RFC 9449)
      'dpop_signing_alg_values_supported',
      // device authorization grant (RFC 8628)
      'device_authorization_endpoint',
      // back-channel logout
      'backchannel_logout_supported', 'backchannel_logout_session_supported',
      // RFC 8414 §2: without these a client may assume only client_secret_basic there
      'introspection_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported',
      'introspection_endpoint_auth_signing_alg_values_supported', 'revocation_endpoint_auth_signing_alg_values_supported',
      // the languages of the sign-in pages (OpenID Connect Discovery §3)
      'ui_locales_supported', 'prompt_values_supported',
    ]);
  });

  it('lists the client authentication methods each endpoint accepts, and the page languages', () => {
    const methods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];
    expect(metadata.token_endpoint_auth_methods_supported).to.have.members(methods);
    expect(metadata.introspection_endpoint_auth_methods_supported).to.have.members(methods);
    expect(metadata.revocation_endpoint_auth_methods_supported).to.have.members(methods);
    // RFC 8414 §2: with private_key_jwt listed, the algorithms it may be signed with are REQUIRED too.
    for (const endpoint of ['introspection', 'revocation']) {
      expect(metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`], endpoint).to.deep.equal(metadata.token_endpoint_auth_signing_alg_values_supported);
    }
    expect(metadata.ui_locales_supported).to.have.members(['en', 'de']);
    expect(metadata.prompt_values_supported).to.have.members(['none', 'login', 'consent', 'select_account']);
  });

  it('names the endpoints and values of each feature', () => {
    const issuer = server.issuer;
    expect(metadata).to.include({
      pushed_authorization_request_endpoint: `${issuer}/request`,
      device_authorization_endpoint: `${issuer}/device/auth`,
      request_parameter_supported: true,
      request_uri_parameter_supported: false,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      claims_parameter_supported: false,
    });
    // Required per client, not for all: the server-wide flag is absent.
    expect(metadata).to.not.have.property('require_pushed_authorization_requests');
    expect(metadata).to.not.have.property('require_signed_request_object');
    // mTLS is not offered: Gatehouse does not terminate client TLS.
    expect(metadata).to.not.have.property('tls_client_certificate_bound_access_tokens');
    expect(metadata).to.not.have.property('mtls_endpoint_aliases');
    expect(metadata.grant_types_supported).to.have.members([
      'authorization_code', 'refresh_token', 'client_credentials',
      'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    expect(metadata.response_types_supported).to.deep.equal(['code']);
    expect(metadata.response_modes_supported).to.have.members(['query', 'fragment', 'form_post', 'jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt']);
    expect(metadata.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(metadata.dpop_signing_alg_values_supported).to.have.members(['ES256', 'PS256', 'RS256', 'EdDSA']);
    for (const key of ['request_object_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported', 'authorization_signing_alg_values_supported']) {
      expect(metadata[key] as string[], key).to.not.include('none').and.not.include('HS256');
    }
    expect(metadata.token_endpoint_auth_methods_supported).to.have.members(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
  });
});
