// Property-based fuzzing with fast-check of every public endpoint's parameters: the token,
// authorization, introspection, revocation, userinfo, PAR, device and registration endpoints and
// the admin API (every operation in its OpenAPI document). Thousands of generated requests: none
// may be answered 5xx, none may cause an unhandled rejection, and the server is healthy afterwards.
import { expect } from 'chai';
import fc from 'fast-check';

import { adminToken } from '../helpers/admin.js';
import { createApi, createMachineClient, createResourceServerClient, createUser } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { basicAuth, pkce } from './support.js';

const API = 'https://api.example.com';
const REDIRECT = 'https://app.example.com/callback';
// Runs per endpoint; FUZZ_RUNS scales them (e.g. FUZZ_RUNS=5 for a long local run).
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
// FUZZ_SEED replays a failure fast-check reported (it prints the seed).
const SEED = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};

interface FuzzRequest {
  method: string;
  path: string;
  query?: [string, string][];
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

describe('security: fuzzing every public endpoint', function () {
  this.timeout(240_000);
  let server: TestServer;
  let machine: { clientId: string; clientSecret: string };
  let rs: { clientId: string; clientSecret: string };
  let web: { clientId: string; clientSecret: string };
  let admin: string;
  let adminOperations: { method: string; path: string }[];
  const statuses = new Map<number, number>();
  const serverErrors: string[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  let sent = 0;

  async function hit(request: FuzzRequest): Promise<number> {
    const url = new URL(request.path, server.issuer);
    for (const [name, value] of request.query ?? []) url.searchParams.append(name, value);
    let status: number;
    try {
      const response = await fetch(url, { method: request.method, headers: request.headers, body: request.body as BodyInit | undefined, redirect: 'manual' });
      await response.arrayBuffer();
      status = response.status;
    } catch (error) {
      // A connection the server closed (after a 413) counts as refused; anything else is a failure.
      status = (error as Error).message.includes('fetch failed') ? 499 : 599;
      if (status === 599) serverErrors.push(`client error ${(error as Error).message}`);
    }
    sent += 1;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status >= 500) serverErrors.push(`${status} ${request.method} ${url.pathname}${url.search.slice(0, 300)} ${JSON.stringify(request.headers)} ${String(request.body).slice(0, 300)}`);
    return status;
  }

  // Strings an attacker likes: unicode, control characters, percent garbage, huge, JSON and HTML.
  const nasty = fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.constantFrom('', ' ', '%', '%ZZ', '%C3%28', '\u0000', '\r\n', '<script>alert(1)</script>', '../../etc/passwd', "' OR 1=1 --", '{"$gt":""}', 'null', '[]', '-1', '1e309', 'NaN'),
    fc.nat({ max: 20_000 }).map((n) => 'a'.repeat(n)),
    fc.uuid(),
  );
  const known = () =>
    fc.constantFrom(
      machine.clientId, rs.clientId, web.clientId, REDIRECT, API, 'openid', 'read', 'openid offline_access read', 'code', 'S256', 'plain',
      'authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange',
      'access_token', 'refresh_token', pkce().challenge, pkce().verifier, 'eyJhbGciOiJub25lIn0.e30.', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
  const value = () => fc.oneof({ weight: 2, arbitrary: known() }, { weight: 3, arbitrary: nasty });
  const OAUTH_NAMES = [
    'grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', 'client_id', 'client_secret', 'client_assertion',
    'client_assertion_type', 'token', 'token_type_hint', 'response_type', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt',
    'max_age', 'login_hint', 'ui_locales', 'claims', 'request', 'request_uri', 'response_mode', 'id_token_hint', 'acr_values', 'device_code',
    'subject_token', 'subject_token_type', 'audience', 'requested_token_type', 'dpop_jkt', 'authorization_details',
  ];
  const params = () => fc.array(fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...OAUTH_NAMES) }, { weight: 1, arbitrary: nasty }), value()), { maxLength: 12 });
  const encode = (pairs: [string, string][]) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const authHeader = () =>
    fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(basicAuth(machine.clientId, machine.clientSecret), basicAuth(rs.clientId, rs.clientSecret), basicAuth(web.clientId, web.clientSecret), `Bearer ${admin}`),
      fc.tuple(nasty, nasty).map(([id, secret]) => basicAuth(id, secret)),
      nasty.map((v) => `Basic ${v}`),
      nasty.map((v) => `Bearer ${v}`),
      nasty.map((v) => `DPoP ${v}`),
    );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
    { weight: 1, arbitrary: fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=latin1', '') },
  );
  const body = () =>
    fc.oneof(
      { weight: 6, arbitrary: params().map(encode) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      { weight: 1, arbitrary: params().map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')) },
    );

  // HTTP header values cannot carry control characters or non-Latin-1 (fetch refuses them before sending).
  const headerSafe = (value: string) => value.replace(/[^\x20-\x7e]/g, '?');
  function headersOf(auth: string | undefined, type: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...(auth ? { authorization: auth } : {}), ...(type ? { 'content-type': type } : {}), ...extra };
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, headerSafe(value)]));
  }

  async function fuzzPost(path: string, numRuns: number, extraHeaders = fc.constant<Record<string, string>>({})) {
    await fc.assert(
      fc.asyncProperty(authHeader(), contentType, body(), params(), extraHeaders, async (auth, type, payload, query, extra) => {
        const status = await hit({ method: 'POST', path, query: query.slice(0, 2), headers: headersOf(auth, type, extra), body: payload });
        expect(status).to.be.below(500);
      }),
      { ...SEED, numRuns },
    );
  }

  before(async () => {
    server = await startTestServer({ env: { RATE_LIMITS: 'off', DYNAMIC_REGISTRATION: 'open' } });
    await createApi(server.core, API, ['read', 'write']);
    await createUser(server.core);
    machine = await createMachineClient(server.core, [API]);
    rs = await createResourceServerClient(server.core, API);
    const created = await server.core.clients.create({ name: 'Web', redirectUris: [REDIRECT], apis: [API] });
    web = { clientId: created.client.clientId, clientSecret: created.clientSecret! };
    admin = await adminToken(server);
    const document = (await (await fetch(`${server.issuer}/admin/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    adminOperations = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })));
    process.on('unhandledRejection', onRejection);
  });
  after(async () => {
    process.off('unhandledRejection', onRejection);
    const summary = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
    console.log(`      fuzzing: ${sent} requests; statuses ${summary}`);
    await server?.stop();
  });

  it('the token endpoint', () => fuzzPost('/token', runs(700), fc.constant({})));
  it('the introspection endpoint', () => fuzzPost('/token/introspection', runs(350)));
  it('the revocation endpoint', () => fuzzPost('/token/revocation', runs(300)));
  it('the PAR and device authorization endpoints', async () => {
    await fuzzPost('/request', runs(150));
    await fuzzPost('/device/auth', runs(150));
  });

  it('the authorization endpoint (GET and POST)', async () => {
    await fc.assert(
      fc.asyncProperty(params(), fc.constantFrom('text/html', 'application/json', '*/*'), fc.boolean(), async (query, accept, asPost) => {
        const withClient: [string, string][] = [['client_id', web.clientId], ['redirect_uri', REDIRECT], ['response_type', 'code'], ...query];
        const status = asPost
          ? await hit({ method: 'POST', path: '/auth', headers: { accept, 'content-type': 'application/x-www-form-urlencoded' }, body: encode(withClient) })
          : await hit({ method: 'GET', path: '/auth', query: withClient, headers: { accept } });
        expect(status).to.be.below(500);
      }),
      { ...SEED, numRuns: runs(600) },
    );
  });

  it('the userinfo endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(authHeader(), fc.constantFrom('GET', 'POST'), params(), async (auth, method, query) => {
        const status = await hit({ method, path: '/me', query, headers: headersOf(auth, method === 'POST' ? 'application/x-www-form-urlencoded' : undefined) });
        expect(status).to.be.below(500);
      }),
      { ...SEED, numRuns: runs(200) },
    );
  });

  it('the registration endpoint (RFC 7591 metadata)', async () => {
    const metadataKeys = ['redirect_uris', 'client_name', 'grant_types', 'response_types', 'token_endpoint_auth_method', 'scope', 'jwks', 'jwks_uri', 'logo_uri', 'policy_uri', 'tos_uri', 'contacts', 'client_id', 'client_secret', 'application_type', 'sector_identifier_uri', 'post_logout_redirect_uris', 'dpop_bound_access_tokens', 'require_pushed_authorization_requests'];
    const metadataValue = fc.oneof(nasty, fc.array(fc.oneof(nasty, fc.constantFrom(REDIRECT, 'https://a.example.com/cb', 'http://localhost/cb')), { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }));
    const metadata = fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...metadataKeys) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }), metadataValue, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 5, arbitrary: metadata.map((m) => JSON.stringify(m)) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) }), fc.constantFrom('POST', 'GET', 'PUT', 'DELETE'), fc.oneof(fc.constant(''), nasty.map((v) => `/${encodeURIComponent(v)}`)), authHeader(), async (payload, method, suffix, auth) => {
        const status = await hit({ method, path: `/reg${suffix}`, headers: headersOf(auth, 'application/json'), body: method === 'GET' || method === 'DELETE' ? undefined : payload });
        expect(status).to.be.below(500);
      }),
      { ...SEED, numRuns: runs(500) },
    );
  });

  it('the admin API (every operation in its OpenAPI document)', async () => {
    const operation = fc.constantFrom(...adminOperations);
    const pathValue = fc.oneof(nasty, fc.constantFrom(machine.clientId, API, 'read', 'alice', '00000000-0000-0000-0000-000000000000'));
    const json = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('name', 'redirect_uris', 'apis', 'scopes', 'username', 'email', 'password', 'roles', 'description', 'identifier', 'grant_types', 'overlap_seconds', 'uses', 'ttl_seconds'), fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 6 }));
    await fc.assert(
      fc.asyncProperty(operation, pathValue, fc.array(fc.tuple(fc.constantFrom('limit', 'cursor', 'q', 'type', 'since', 'client_id', 'user_id', 'role', 'disabled', 'active'), value()), { maxLength: 4 }), json, fc.boolean(), async (op, segment, query, payload, authorised) => {
        const path = `/admin/v1${op.path.replace(/\{[a-z_]+\}/g, () => encodeURIComponent(segment))}`;
        const { method } = op;
        const status = await hit({
          method,
          path,
          query,
          headers: headersOf(authorised ? `Bearer ${admin}` : undefined, method === 'GET' || method === 'DELETE' ? undefined : 'application/json'),
          body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(payload),
        });
        expect(status).to.be.below(500);
      }),
      { ...SEED, numRuns: runs(700) },
    );
  });

  it('caused no 5xx and no unhandled rejection, and left the server healthy', async () => {
    expect(serverErrors).to.deep.equal([]);
    expect(rejections).to.deep.equal([]);
    expect(sent).to.be.at.least(runs(3500));
    expect((await fetch(`${server.issuer}/healthz`)).status).to.equal(200);
    expect((await fetch(`${server.issuer}/readyz`)).status).to.equal(200);
    // A new API and client: the fuzzed admin API may have deleted or changed the others.
    const afterwards = 'https://after-fuzzing.example.com';
    await createApi(server.core, afterwards, ['read']);
    const fresh = await createMachineClient(server.core, [afterwards]);
    const token = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(fresh.clientId, fresh.clientSecret) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
    });
    expect(token.status).to.equal(200);
  });
});
