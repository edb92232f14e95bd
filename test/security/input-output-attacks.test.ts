// Attacks with malformed input, and what every answer must look like: oversized bodies (413, read
// no further), duplicated and overlong parameters, invalid UTF-8 and broken percent-encoding (400
// invalid_request), never a 5xx; the error shapes; security headers on every response; CORS only
// where a browser app needs it; request ids; and log lines that user input cannot forge.
import net from 'node:net';
import { Readable, Writable } from 'node:stream';

import { expect } from 'chai';
import { pino } from 'pino';

import { createAdminClient } from '../helpers/admin.js';
import { createApi, createMachineClient, createResourceServerClient } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { basicAuth, pkce, postForm, send, type Answer } from './support.js';

const API = 'https://api.example.com';
const SPA = 'https://spa.example.com';

describe('security: input and output', () => {
  let server: TestServer;
  let machine: { clientId: string; clientSecret: string };
  let rs: { clientId: string; clientSecret: string };
  let spa: { clientId: string };
  let web: { clientId: string };
  let admin: { clientId: string; clientSecret: string };

  const auth = () => ({ authorization: basicAuth(machine.clientId, machine.clientSecret) });
  const endpoints = () => [`${server.issuer}/token`, `${server.issuer}/token/introspection`, `${server.issuer}/token/revocation`];

  function expectInvalidRequest(answer: Answer, status = 400) {
    expect(answer.status, answer.text.slice(0, 200)).to.equal(status);
    expect(answer.json?.error).to.equal('invalid_request');
  }

  before(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: 'false' } });
    await createApi(server.core, API, ['read']);
    machine = await createMachineClient(server.core, [API]);
    rs = await createResourceServerClient(server.core, API);
    spa = { clientId: (await server.core.clients.create({ name: 'SPA', redirectUris: [`${SPA}/cb`], apis: [API], public: true })).client.clientId };
    web = { clientId: (await server.core.clients.create({ name: 'Web', redirectUris: ['https://web.example.com/cb'], apis: [API] })).client.clientId };
    admin = await createAdminClient(server, 'admin:read');
  });
  after(async () => server?.stop());

  describe('bodies and parameters', () => {
    it('a 1 MB form body → 413 (refused from its Content-Length)', async () => {
      for (const url of endpoints()) {
        const answer = await postForm(url, `grant_type=client_credentials&pad=${'a'.repeat(1024 * 1024)}`, auth());
        expectInvalidRequest(answer, 413);
      }
    });

    it('a 1 MB JSON body → 413, at the registration endpoint and the admin API', async () => {
      const big = JSON.stringify({ redirect_uris: ['https://x.example.com/cb'], pad: 'a'.repeat(1024 * 1024) });
      const reg = await send(`${server.issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(reg.status).to.equal(413);
      const admin = await send(`${server.issuer}/admin/v1/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(admin.status).to.be.oneOf([401, 413]);
    });

    it('a 1 MB chunked body (no Content-Length) → 413', async () => {
      const chunks = async function* () {
        for (let i = 0; i < 64; i += 1) yield Buffer.from(`${i === 0 ? 'grant_type=client_credentials&pad=' : ''}${'a'.repeat(16 * 1024)}`);
      };
      const answer = await send(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth() },
        body: Readable.toWeb(Readable.from(chunks())) as unknown as string,
        duplex: 'half',
      } as RequestInit & { body: string });
      expectInvalidRequest(answer, 413);
    });

    it('a client that goes away in the middle of its body costs no server error', async () => {
      const requestsByStatus = async () => {
        const metric = await server.running.gatehouse.metrics.registry.getSingleMetric('gatehouse_http_requests_total')!.get();
        const counts = new Map<string, number>();
        for (const { labels, value } of metric.values) counts.set(String(labels.status), (counts.get(String(labels.status)) ?? 0) + value);
        return counts;
      };
      const before = await requestsByStatus();
      const { port } = new URL(server.issuer);
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=client_cre`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      // The request is counted once it is answered (to nobody): wait for that, bounded.
      let after = await requestsByStatus();
      for (let i = 0; i < 50 && [...after.values()].reduce((a, b) => a + b, 0) === [...before.values()].reduce((a, b) => a + b, 0); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = await requestsByStatus();
      }
      const grown = [...after].filter(([status, count]) => count > (before.get(status) ?? 0)).map(([status]) => status);
      expect(grown).to.deep.equal(['400']);
      // And the server still answers.
      expectInvalidRequest(await postForm(`${server.issuer}/token`, 'grant_type=client_credentials&scope=%ZZ', auth()));
    });

    it('a malformed chunked body or one cut off mid-way prints no plain-text stack (the error goes to the JSON log)', async () => {
      const printed: unknown[][] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => void printed.push(args);
      try {
        const { port } = new URL(server.issuer);
        const raw = async (request: string, cut: boolean) => {
          const socket = net.connect(Number(port), '127.0.0.1');
          await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
          socket.on('error', () => undefined);
          socket.write(request);
          await new Promise((resolve) => setTimeout(resolve, 150));
          if (cut) socket.destroy();
          else socket.end();
          await new Promise((resolve) => setTimeout(resolve, 150));
        };
        await raw('POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', false);
        await raw('POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=client_cre', true);
      } finally {
        console.error = original;
      }
      expect(printed.map((args) => args.map(String).join(' '))).to.deep.equal([]);
    });

    it('duplicated parameters → 400 invalid_request', async () => {
      expectInvalidRequest(await postForm(`${server.issuer}/token`, 'grant_type=client_credentials&grant_type=client_credentials', auth()));
      expectInvalidRequest(await postForm(`${server.issuer}/token`, 'grant_type=client_credentials&scope=read&scope=read', auth()));
      expectInvalidRequest(await postForm(`${server.issuer}/token/introspection`, 'token=a&token=b', { authorization: basicAuth(rs.clientId, rs.clientSecret) }));
    });

    it('a duplicated parameter at the authorization endpoint → invalid_request redirected to the client (RFC 6749 §4.1.2.1)', async () => {
      const params = new URLSearchParams({ client_id: web.clientId, response_type: 'code', redirect_uri: 'https://web.example.com/cb', scope: 'openid', state: 'st-1', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
      for (const duplicated of ['scope', 'response_type', 'code_challenge']) {
        const answer = await send(`${server.issuer}/auth?${params.toString()}&${duplicated}=${encodeURIComponent(params.get(duplicated)!)}`);
        expect(answer.status, duplicated).to.be.within(302, 303);
        const location = answer.location!;
        expect(location.origin + location.pathname).to.equal('https://web.example.com/cb');
        expect(location.searchParams.get('error')).to.equal('invalid_request');
        expect(location.searchParams.get('error_description')).to.include(duplicated);
        expect(location.searchParams.get('state')).to.equal('st-1');
        expect(location.searchParams.get('iss')).to.equal(server.issuer);
      }
      // Posted as a form, the same: the POST is turned into that GET.
      const posted = await postForm(`${server.issuer}/auth`, `${params.toString()}&scope=openid`);
      expect(posted.status).to.equal(303);
      const followed = await send(posted.location!.toString());
      expect(followed.location!.searchParams.get('error')).to.equal('invalid_request');
    });

    it('a duplicated client_id or redirect_uri → an error page, never a redirect', async () => {
      const base = `${server.issuer}/auth?response_type=code&scope=openid&state=s&code_challenge=${pkce().challenge}&code_challenge_method=S256`;
      for (const query of [
        `client_id=${web.clientId}&client_id=${web.clientId}&redirect_uri=${encodeURIComponent('https://web.example.com/cb')}`,
        `client_id=${web.clientId}&redirect_uri=${encodeURIComponent('https://web.example.com/cb')}&redirect_uri=${encodeURIComponent('https://web.example.com/cb')}`,
      ]) {
        const answer = await send(`${base}&${query}`, { headers: { accept: 'text/html' } });
        expect(answer.status).to.equal(400);
        expect(answer.location).to.equal(undefined);
        expect(answer.text).to.include('invalid_request');
      }
    });

    it('repeated resource parameters stay allowed (RFC 8707)', async () => {
      const answer = await postForm(`${server.issuer}/token`, `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(API)}&resource=${encodeURIComponent(API)}`, auth());
      expect(answer.status).to.be.below(500);
      expect(answer.json?.error).to.not.equal('invalid_request');
    });

    it('overlong parameters → 400 invalid_request', async () => {
      expectInvalidRequest(await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'r'.repeat(5000) }, auth()));
      expectInvalidRequest(await postForm(`${server.issuer}/token/revocation`, { token: 't'.repeat(40_000) }, auth()));
    });

    it('huge state and nonce → 400 at the authorization endpoint, an error page without a redirect', async () => {
      for (const field of ['state', 'nonce']) {
        const params = new URLSearchParams({ client_id: web.clientId, response_type: 'code', redirect_uri: 'https://web.example.com/cb', scope: 'openid', code_challenge: pkce().challenge, code_challenge_method: 'S256', [field]: 'x'.repeat(8000) });
        const answer = await send(`${server.issuer}/auth?${params.toString()}`, { headers: { accept: 'text/html' } });
        expect(answer.status).to.equal(400);
        expect(answer.location).to.equal(undefined);
        expect(answer.text).to.include('invalid_request');
      }
    });

    it('a URL longer than the server accepts → 4xx', async () => {
      const answer = await send(`${server.issuer}/auth?state=${'x'.repeat(100_000)}`);
      expect(answer.status).to.be.within(400, 499);
    });

    it('invalid UTF-8 and broken percent-encoding → 400 invalid_request', async () => {
      for (const body of ['grant_type=client_credentials&scope=%FF%FE', 'grant_type=client_credentials&scope=%C3%28', 'grant_type=client_credentials&scope=%E0%80%AF', 'grant_type=client_credentials&scope=%ZZ', 'grant_type=client_credentials&scope=%', 'grant_type=client_%']) {
        expectInvalidRequest(await postForm(`${server.issuer}/token`, body, auth()));
      }
      const raw = Buffer.concat([Buffer.from('grant_type=client_credentials&scope='), Buffer.from([0xff, 0xfe, 0xc3])]);
      expectInvalidRequest(await send(`${server.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth() }, body: raw }));
      expectInvalidRequest(await send(`${server.issuer}/auth?client_id=%FF&response_type=code`, { headers: { accept: 'application/json' } }));
    });

    it('NUL characters (which Postgres text cannot hold) → 400, never 5xx', async () => {
      expectInvalidRequest(await postForm(`${server.issuer}/token`, 'grant_type=client_credentials&scope=a%00b', auth()));
      expectInvalidRequest(await postForm(`${server.issuer}/token`, `grant_type=client_credentials&client_id=%00`));
      const reg = await send(`${server.issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'a\u0000b', redirect_uris: ['https://x.example.com/cb'] }) });
      expect(reg.status).to.be.within(400, 499);
      const token = (await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'admin:read', resource: server.core.adminApi }, { authorization: basicAuth(admin.clientId, admin.clientSecret) })).json?.access_token as string;
      for (const path of ['/users/%00/sessions', '/clients/%00', '/roles/a%00', '/audit-events?client_id=%00']) {
        const answer = await send(`${server.issuer}/admin/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect(answer.status, path).to.equal(400);
        expect(answer.json?.code, path).to.equal('invalid_input');
      }
    });

    it('a body that is not the declared type → 4xx, never 5xx', async () => {
      const cases: [string, string][] = [
        ['application/json', '{"grant_type":'],
        ['application/json', '[1,2,3]'],
        ['text/plain', 'grant_type=client_credentials'],
        ['application/x-www-form-urlencoded', '\u0000\u0001\u0002'],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--'],
      ];
      for (const [type, body] of cases) {
        for (const url of [...endpoints(), `${server.issuer}/reg`, `${server.issuer}/me`]) {
          const answer = await send(url, { method: 'POST', headers: { 'content-type': type, ...auth() }, body });
          expect(answer.status, `${type} ${url}`).to.be.within(400, 499);
        }
      }
    });

    it('a form post whose Content-Encoding does not decode → 400 on every sign-in and account form, never 5xx', async () => {
      const forms = [
        '/interaction/abc/login', '/interaction/abc/confirm', '/interaction/abc/abort', '/interaction/abc/two-step',
        '/account/password', '/account/sessions/end-all', '/account/apps/x/revoke', '/account/two-step', '/account/two-step/disable',
      ];
      for (const encoding of ['gzip', 'deflate', 'br']) {
        for (const path of forms) {
          const answer = await send(`${server.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': encoding }, body: 'xx' });
          expect(answer.status, `${encoding} ${path}`).to.equal(400);
        }
      }
    });
  });

  describe('methods', () => {
    it('an endpoint asked with a method it does not take → 405 with Allow (RFC 9110 §15.5.6), not 404', async () => {
      const cases: [string, string, string][] = [
        ['/me', 'PUT', 'GET, POST, HEAD'],
        ['/me', 'DELETE', 'GET, POST, HEAD'],
        ['/jwks', 'POST', 'GET, HEAD'],
        ['/.well-known/openid-configuration', 'PUT', 'GET, HEAD'],
        ['/auth', 'PUT', 'GET, POST, HEAD'],
        ['/session/end', 'DELETE', 'GET, POST, HEAD'],
        ['/healthz', 'POST', 'GET, HEAD'],
      ];
      for (const [path, method, allow] of cases) {
        const answer = await send(`${server.issuer}${path}`, { method });
        expect(answer.status, `${method} ${path}`).to.equal(405);
        expect(answer.headers.get('allow'), `${method} ${path}`).to.equal(allow);
        expect(answer.json, `${method} ${path}`).to.have.property('error', 'invalid_request');
      }
      // The methods they take still work.
      expect((await send(`${server.issuer}/jwks`, { method: 'HEAD' })).status).to.equal(200);
      expect((await send(`${server.issuer}/healthz`)).status).to.equal(200);
    });
  });

  describe('error shapes', () => {
    it('OAuth endpoints answer in the RFC 6749 shape', async () => {
      const answer = await postForm(`${server.issuer}/token`, { grant_type: 'nope' }, auth());
      expect(Object.keys(answer.json!).sort()).to.deep.equal(['error', 'error_description']);
    });

    it('everything else as {code, message, request_id}', async () => {
      const answer = await send(`${server.issuer}/no/such/path`);
      expect(answer.status).to.equal(404);
      expect(answer.json).to.have.keys(['code', 'message', 'request_id']);
      expect(answer.json!.request_id).to.equal(answer.headers.get('x-request-id'));
      const admin = await send(`${server.issuer}/admin/v1/clients`, { headers: { authorization: 'Bearer nope' } });
      expect(admin.status).to.equal(401);
      expect(admin.json).to.include.keys(['code', 'message', 'request_id']);
    });

    it('a browser gets the error page instead', async () => {
      const answer = await send(`${server.issuer}/no/such/path`, { headers: { accept: 'text/html' } });
      expect(answer.status).to.equal(404);
      expect(answer.headers.get('content-type')).to.match(/^text\/html/);
      expect(answer.text).to.include('not_found');
    });
  });

  describe('headers', () => {
    it('security headers on every response; frame protection on HTML; no-store on tokens and secrets', async () => {
      const token = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'read' }, auth());
      const answers: [string, Answer][] = [
        ['token', token],
        ['token error', await postForm(`${server.issuer}/token`, { grant_type: 'nope' }, auth())],
        ['introspection', await postForm(`${server.issuer}/token/introspection`, { token: String(token.json?.access_token) }, { authorization: basicAuth(rs.clientId, rs.clientSecret) })],
        ['jwks', await send(`${server.issuer}/jwks`)],
        ['discovery', await send(`${server.issuer}/.well-known/openid-configuration`)],
        ['error page', await send(`${server.issuer}/auth?client_id=x`, { headers: { accept: 'text/html' } })],
        ['404', await send(`${server.issuer}/nothing`)],
        ['413', await postForm(`${server.issuer}/token`, 'a'.repeat(100_000), auth())],
        ['healthz', await send(`${server.issuer}/healthz`)],
        ['admin', await send(`${server.issuer}/admin/v1/clients`)],
        ['admin docs', await send(`${server.issuer}/admin/docs`)],
      ];
      for (const [name, answer] of answers) {
        expect(answer.headers.get('x-content-type-options'), name).to.equal('nosniff');
        expect(answer.headers.get('referrer-policy'), name).to.equal('no-referrer');
        expect(answer.headers.get('x-request-id'), name).to.match(/^[0-9a-f-]{36}$/);
        if (answer.headers.get('content-type')?.startsWith('text/html')) {
          expect(answer.headers.get('x-frame-options'), name).to.equal('DENY');
          expect(answer.headers.get('content-security-policy'), name).to.include("frame-ancestors 'none'");
        }
      }
      for (const name of ['token', 'token error', 'introspection', '413']) {
        expect(answers.find(([n]) => n === name)![1].headers.get('cache-control'), name).to.equal('no-store');
      }
      // RFC 6749 §5.1: the token response also carries Pragma: no-cache.
      for (const name of ['token', 'token error']) {
        expect(answers.find(([n]) => n === name)![1].headers.get('pragma'), name).to.equal('no-cache');
      }
    });
  });

  describe('CORS', () => {
    const preflight = (path: string, origin: string) =>
      send(`${server.issuer}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

    it('preflights of token, userinfo and revocation succeed for an origin of a registered redirect URI', async () => {
      for (const path of ['/token', '/me', '/token/revocation']) {
        const answer = await preflight(path, SPA);
        expect(answer.headers.get('access-control-allow-origin'), path).to.equal(SPA);
      }
    });

    it('...and not for any other origin', async () => {
      for (const origin of ['https://evil.example.com', 'null', 'https://spa.example.com.evil.example.com', 'http://spa.example.com']) {
        for (const path of ['/token', '/me', '/token/revocation']) {
          expect((await preflight(path, origin)).headers.get('access-control-allow-origin'), `${path} ${origin}`).to.equal(null);
        }
      }
    });

    it('never on introspection or the authorization endpoint, even for a registered origin', async () => {
      for (const path of ['/token/introspection', '/auth', '/reg']) {
        expect((await preflight(path, SPA)).headers.get('access-control-allow-origin'), path).to.equal(null);
      }
      const auth = await send(`${server.issuer}/auth?client_id=${spa.clientId}`, { headers: { origin: SPA } });
      expect(auth.headers.get('access-control-allow-origin')).to.equal(null);
      const introspection = await postForm(`${server.issuer}/token/introspection`, { token: 'x' }, { origin: SPA, authorization: basicAuth(rs.clientId, rs.clientSecret) });
      expect(introspection.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('the token endpoint answers a public client from its origin, and refuses other origins', async () => {
      const ok = await postForm(`${server.issuer}/token`, { grant_type: 'authorization_code', code: 'x', client_id: spa.clientId, code_verifier: pkce().verifier, redirect_uri: `${SPA}/cb` }, { origin: SPA });
      expect(ok.headers.get('access-control-allow-origin')).to.equal(SPA);
      const evil = await postForm(`${server.issuer}/token`, { grant_type: 'authorization_code', code: 'x', client_id: spa.clientId, code_verifier: pkce().verifier, redirect_uri: `${SPA}/cb` }, { origin: 'https://evil.example.com' });
      expect(evil.headers.get('access-control-allow-origin')).to.equal(null);
      expect(evil.status).to.equal(400);
    });

    it('a public client\'s page can read an invalid_target answer from its origin, and no other page can', async () => {
      const request = { grant_type: 'refresh_token', refresh_token: 'x', client_id: spa.clientId, resource: 'https://unknown.example.com' };
      const ok = await postForm(`${server.issuer}/token`, request, { origin: SPA });
      expect(ok.json?.error).to.equal('invalid_target');
      expect(ok.headers.get('access-control-allow-origin')).to.equal(SPA);
      expect(ok.headers.get('vary')).to.include('Origin');
      const evil = await postForm(`${server.issuer}/token`, request, { origin: 'https://evil.example.com' });
      expect(evil.json?.error).to.equal('invalid_target');
      expect(evil.headers.get('access-control-allow-origin')).to.equal(null);
      const confidential = await postForm(`${server.issuer}/token`, { ...request, client_id: web.clientId }, { origin: 'https://web.example.com' });
      expect(confidential.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('the JWKS and discovery are open to any origin', async () => {
      expect((await send(`${server.issuer}/jwks`, { headers: { origin: 'https://any.example.com' } })).headers.get('access-control-allow-origin')).to.equal('https://any.example.com');
    });
  });

  describe('request ids and logs', () => {
    it('an X-Request-Id from an untrusted client is replaced', async () => {
      const answer = await send(`${server.issuer}/healthz`, { headers: { 'x-request-id': 'attacker-chosen' } });
      expect(answer.headers.get('x-request-id')).to.not.equal('attacker-chosen');
    });

    it('a trusted proxy\'s well-formed X-Request-Id is kept; a malformed one is replaced', async () => {
      const proxied = await startTestServer({ env: { TRUST_PROXY: 'true' } });
      try {
        expect((await send(`${proxied.issuer}/healthz`, { headers: { 'x-request-id': 'proxy-123' } })).headers.get('x-request-id')).to.equal('proxy-123');
        const forged = await send(`${proxied.issuer}/healthz`, { headers: { 'x-request-id': 'a"b}{x' } });
        expect(forged.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      } finally {
        await proxied.stop();
      }
    });

    it('user input cannot forge log lines: one JSON line per request, fields not messages', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      });
      const { accessLogLine } = await import('../../src/middleware/koa-access-log.js');
      const logger = pino({ level: 'info' }, sink);
      const hostile = '/x\n{"level":50,"msg":"forged"}\r\n';
      accessLogLine(logger, { requestId: 'r1', method: 'GET', path: hostile, route: undefined, status: 404, durationMs: 1, clientId: 'c\n{"msg":"forged"}' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines).to.have.length(1);
      const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(entry.msg).to.equal('request');
      expect(entry.path).to.equal(hostile);
    });
  });
});
