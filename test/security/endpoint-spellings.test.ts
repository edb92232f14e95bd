// oidc-provider's router finds an endpoint whatever the case of its path and with a trailing slash;
// the layers in front of it (initial access tokens, rate limits, request limits) know each endpoint
// by its path as written. Another spelling must not reach an endpoint past them: it is not found.
// And the discovery document, whose URLs oidc-provider writes from the Host header, is only ever
// replayed from memory to requests addressed to the issuer.
import { request } from 'node:http';

import { expect } from 'chai';
import type { Middleware } from 'koa';
import Koa from 'koa';

import { canonicalPaths } from '../../src/middleware/koa-canonical-paths.js';
import { createMachineClient } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';

describe('endpoint paths: one spelling each', function () {
  this.timeout(60_000);

  describe('the path check alone', () => {
    /** Whether the request got past the check (to the next layer). */
    const passes = async (path: string) => {
      let reached = false;
      const app = new Koa();
      const check = canonicalPaths() as Middleware;
      await check(app.createContext({ url: path, method: 'GET', headers: {}, socket: {} } as never, {} as never), async () => {
        reached = true;
      });
      return reached;
    };

    it('lets each endpoint through at its own path, with any parameter value', async () => {
      for (const path of ['/token', '/token/introspection', '/reg', '/reg/Mixed_Case-ID', '/auth', '/auth/AbC-xyz', '/device', '/device/auth', '/device/XyZ', '/session/end/confirm', '/jwks', '/.well-known/openid-configuration']) {
        expect(await passes(path), path).to.equal(true);
      }
    });

    it('stops another case or a trailing slash, also in a second segment', async () => {
      for (const path of ['/TOKEN', '/Token', '/token/', '/Token/Introspection', '/token/REVOCATION', '/REG', '/Reg', '/reg/', '/REG/client-id', '/reg/client-id/', '/AUTH', '/auth/', '/Auth/AbC', '/DEVICE', '/device/AUTH', '/JWKS', '/jwks/', '/.WELL-KNOWN/openid-configuration', '/session/END/confirm', '/ME', '/me/']) {
        expect(await passes(path), path).to.equal(false);
      }
    });

    it('leaves every other path to the layers after it', async () => {
      for (const path of ['/', '/interaction/AbC', '/account', '/Account', '/admin/v1/users', '/healthz', '/tokens', '/registry', '/assets/logo.svg']) {
        expect(await passes(path), path).to.equal(true);
      }
    });
  });

  describe('against the running server', () => {
    let server: TestServer;
    let machine: { clientId: string; clientSecret: string };

    before(async () => {
      server = await startTestServer({ env: { DYNAMIC_REGISTRATION: 'token' } });
      await server.core.apis.create({ identifier: API, scopes: [{ name: 'orders:read' }], allowDynamicClients: true });
      machine = await createMachineClient(server.core, [API]);
    });
    after(async () => server?.stop());

    const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${server.issuer}${path}`, { method: 'POST', headers, body });

    it('registers no client without an initial access token under /REG, /Reg or /reg/', async () => {
      const metadata = JSON.stringify({ client_name: 'sneaky', redirect_uris: ['https://app.example.com/cb'] });
      for (const path of ['/REG', '/Reg', '/reg/']) {
        const response = await post(path, metadata, { 'content-type': 'application/json' });
        expect(response.status, path).to.equal(404);
        expect(((await response.json()) as { code: string }).code).to.equal('not_found');
      }
      expect((await post('/reg', metadata, { 'content-type': 'application/json' })).status).to.equal(401);
      expect((await server.core.clients.listPage({ limit: 50 }, { dynamic: true })).items).to.have.length(0);
    });

    it('issues no token at /TOKEN or /token/, and the token endpoint still works at /token', async () => {
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: machine.clientId, client_secret: machine.clientSecret }).toString();
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      for (const path of ['/TOKEN', '/token/', '/Token/Introspection', '/token/Revocation']) {
        expect((await post(path, form, headers)).status, path).to.equal(404);
      }
      const issued = await post('/token', form, headers);
      expect(issued.status).to.equal(200);
      expect(issued.headers.get('ratelimit-policy')).to.be.a('string');
    });

    it('never hands the discovery document made for a forged Host header to anyone else', async () => {
      const forged = await new Promise<string>((resolve, reject) => {
        request(`${server.issuer}/.well-known/openid-configuration`, { headers: { host: 'evil.example' } }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
        }).on('error', reject).end();
      });
      expect((JSON.parse(forged) as { token_endpoint: string }).token_endpoint).to.equal('http://evil.example/token');
      for (let i = 0; i < 2; i += 1) {
        const plain = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
        expect(plain.token_endpoint).to.equal(`${server.issuer}/token`);
        expect(plain.jwks_uri).to.equal(`${server.issuer}/jwks`);
      }
    });

    it('serves the public documents at their own paths only', async () => {
      expect((await fetch(`${server.issuer}/jwks`)).status).to.equal(200);
      expect((await fetch(`${server.issuer}/.well-known/openid-configuration`)).status).to.equal(200);
      for (const path of ['/JWKS', '/jwks/', '/.WELL-KNOWN/openid-configuration', '/.well-known/OPENID-CONFIGURATION']) {
        expect((await fetch(`${server.issuer}${path}`)).status, path).to.equal(404);
      }
    });
  });
});
