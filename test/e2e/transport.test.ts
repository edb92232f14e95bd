// Transport: HTTPS served directly with a certificate the test generates (openssl), swapped for a
// renewed one without a restart (and by SIGHUP in the real process); HSTS on https and never on
// http; behind a proxy, X-Forwarded-Proto and X-Forwarded-For count only with TRUST_PROXY.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { TLSSocket } from 'node:tls';

import { expect } from 'chai';
import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';

import { createLogger } from '../../src/services/logger.js';
import { startServer } from '../../src/server.js';
import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import { PASSWORD, createUser, createWebClient } from '../helpers/fixtures.js';
import { MAIN, startServerProcess } from '../helpers/server-process.js';
import { TEST_SECRETS, testConfig } from '../helpers/test-config.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js';

const HSTS = 'max-age=31536000; includeSubDomains';

interface Certificate {
  certFile: string;
  keyFile: string;
  pem: string;
  fingerprint: string;
}

function generateCertificate(dir: string, name: string): Certificate {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=127.0.0.1 ${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const pem = readFileSync(certFile, 'utf8');
  return { certFile, keyFile, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

/** One HTTPS GET on a fresh connection, trusting only `ca`: status, headers, the served certificate. */
function httpsGet(url: string, ca: string[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; fingerprint: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, agent: false }, (response) => {
      const fingerprint = (response.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, fingerprint, body }));
    });
    request.on('error', reject);
  });
}

function plainGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on('error', reject);
  });
}

describe(`transport security (${defaultKind()})`, function () {
  this.timeout(120_000);
  let dir: string;
  let first: Certificate;
  let renewed: Certificate;
  let stranger: Certificate;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gh-tls-'));
    first = generateCertificate(dir, 'first');
    renewed = generateCertificate(dir, 'renewed');
    stranger = generateCertificate(dir, 'stranger');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('HTTPS served directly', () => {
    let server: TestServer;
    let live: { certFile: string; keyFile: string };
    let base: string;

    before(async () => {
      // The files the server is configured with; a renewal overwrites them in place.
      live = { certFile: path.join(dir, 'live.crt'), keyFile: path.join(dir, 'live.key') };
      copyFileSync(first.certFile, live.certFile);
      copyFileSync(first.keyFile, live.keyFile);
      const port = await freePort();
      base = `https://127.0.0.1:${port}`;
      server = await startTestServer({ env: { PORT: String(port), ISSUER: base, TLS_CERT_FILE: live.certFile, TLS_KEY_FILE: live.keyFile } });
    });
    after(async () => server?.stop());

    it('serves the configured certificate, with HSTS (one year, subdomains) on every kind of response', async () => {
      const discovery = await httpsGet(`${base}/.well-known/openid-configuration`, [first.pem]);
      expect(discovery.status).to.equal(200);
      expect(discovery.fingerprint).to.equal(first.fingerprint);
      expect(JSON.parse(discovery.body).issuer).to.equal(base);
      for (const pathname of ['/.well-known/openid-configuration', '/jwks', '/healthz', '/auth?client_id=unknown', '/no-such-page']) {
        const response = await httpsGet(`${base}${pathname}`, [first.pem]);
        expect(response.headers['strict-transport-security'], pathname).to.equal(HSTS);
      }
    });

    it('does not answer plain HTTP on the TLS port', async () => {
      const outcome = await plainGet(`http://127.0.0.1:${new URL(base).port}/healthz`).catch((e: unknown) => e);
      expect(outcome).to.not.equal(200);
    });

    it('swaps in a renewed certificate without a restart, and keeps the old one when the renewal is broken', async () => {
      copyFileSync(renewed.certFile, live.certFile);
      copyFileSync(renewed.keyFile, live.keyFile);
      expect(server.running.reloadTls()).to.equal(true);
      expect((await httpsGet(`${base}/healthz`, [first.pem, renewed.pem])).fingerprint).to.equal(renewed.fingerprint);

      // A half-finished renewal: the new certificate with a key that does not belong to it.
      copyFileSync(stranger.certFile, live.certFile);
      expect(() => server.running.reloadTls()).to.throw(/does not belong/);
      expect((await httpsGet(`${base}/healthz`, [first.pem, renewed.pem])).fingerprint).to.equal(renewed.fingerprint);
      copyFileSync(renewed.certFile, live.certFile);
    });
  });

  it('sends no HSTS over http', async () => {
    const server = await startTestServer();
    try {
      for (const pathname of ['/.well-known/openid-configuration', '/jwks', '/healthz']) {
        const response = await fetch(`${server.issuer}${pathname}`);
        expect(response.headers.get('strict-transport-security'), pathname).to.equal(null);
      }
    } finally {
      await server.stop();
    }
  });

  it('the server process reloads its certificate on SIGHUP', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-tls-data-'));
    const certFile = path.join(dir, 'process.crt');
    const keyFile = path.join(dir, 'process.key');
    copyFileSync(first.certFile, certFile);
    copyFileSync(first.keyFile, keyFile);
    const port = await freePort();
    const base = `https://127.0.0.1:${port}`;
    const child = await startServerProcess(MAIN, {
      ...TEST_SECRETS,
      NODE_ENV: 'production',
      GATEHOUSE_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: base,
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
    });
    try {
      const before = await httpsGet(`${base}/healthz`, [first.pem]);
      expect(before.fingerprint).to.equal(first.fingerprint);
      expect(before.headers['strict-transport-security']).to.equal(HSTS);
      writeFileSync(certFile, readFileSync(renewed.certFile));
      writeFileSync(keyFile, readFileSync(renewed.keyFile));
      child.child.kill('SIGHUP');
      const deadline = Date.now() + 20_000;
      let served = before.fingerprint;
      while (served !== renewed.fingerprint && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        served = (await httpsGet(`${base}/healthz`, [first.pem, renewed.pem])).fingerprint;
      }
      expect(served).to.equal(renewed.fingerprint);
      expect(child.child.exitCode).to.equal(null);
      expect(child.output()).to.include('TLS certificate reloaded');
    } finally {
      expect(await child.stop()).to.equal(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('behind a TLS-terminating proxy', () => {
    let testDb: TestDatabase;
    before(async () => {
      testDb = await createTestDatabase();
    });
    after(async () => testDb?.drop());

    /** A failed sign-in through a "proxy" adding X-Forwarded-Proto/For: what the server made of it. */
    const attempt = async (trustProxy: boolean, issuerScheme: 'https' | 'http') => {
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const config = testConfig({ PORT: String(port), HOST: '127.0.0.1', ISSUER: `${issuerScheme}://127.0.0.1:${port}`, TRUST_PROXY: String(trustProxy) });
      let logs = '';
      const sink = new PassThrough();
      sink.on('data', (chunk: Buffer) => (logs += chunk.toString()));
      const running = await startServer({ config, logger: createLogger({ level: 'warn', destination: sink }), database: testDb.database });
      try {
        const core = running.gatehouse.core;
        const username = `user-${trustProxy}-${issuerScheme}`;
        await createUser(core, username);
        const web = await createWebClient(core, { redirectUri: 'https://app.example.com/cb' });
        const auth = new URL('/auth', origin);
        for (const [name, value] of Object.entries({
          client_id: web.clientId,
          response_type: 'code',
          scope: 'openid',
          redirect_uri: 'https://app.example.com/cb',
          code_challenge: await calculatePKCECodeChallenge(randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        })) auth.searchParams.set(name, value);
        const browser = new FormBrowser({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' });
        const first = await browser.get(auth.toString());
        let loginStatus: number | undefined;
        if (first.status === 303) {
          const page = await browser.get(new URL(first.location!, origin).toString());
          const failed = await browser.post(new URL(formAction(page.body, '/login'), origin).toString(), {
            csrf: hiddenField(page.body, 'csrf'),
            login: username,
            password: 'not the password at all',
          });
          loginStatus = failed.status;
          if (trustProxy) {
            // Then the right password: the sign-in session's cookie comes with the resumed authorization.
            const signedIn = await browser.post(new URL(formAction(failed.body, '/login'), origin).toString(), { csrf: hiddenField(failed.body, 'csrf'), login: username, password: PASSWORD });
            const resumed = new URL(signedIn.location!);
            await browser.get(new URL(resumed.pathname + resumed.search, origin).toString());
            // The account page's sign-in state and the logout page's language are Gatehouse's own cookies.
            await browser.get(new URL('/account/login', origin).toString());
            await browser.get(new URL('/session/end?ui_locales=de', origin).toString());
          }
        }
        await core.audit.flush();
        const audited = (await testDb.database.knex('audit_events').where({ type: 'login.failure' }).orderBy('id', 'desc').first()) as { ip: string } | undefined;
        const cookies = first.headers.getSetCookie();
        const cookieNames = [...new Set([...cookies.map((c) => c.slice(0, c.indexOf('='))), ...browser.cookieHistory.map((c) => c.name)])];
        return { authStatus: first.status, secureCookies: cookies.length > 0 && cookies.every((c) => /;\s*secure/i.test(c)), cookieNames, loginStatus, ip: loginStatus ? audited?.ip : undefined, logs };
      } finally {
        await running.stop(2000);
      }
    };

    it('honours X-Forwarded-Proto and X-Forwarded-For with TRUST_PROXY', async () => {
      const outcome = await attempt(true, 'https');
      expect(outcome.authStatus).to.equal(303);
      expect(outcome.secureCookies).to.equal(true);
      // The browser enforces the prefixes: Secure always; __Host- also host-only with path=/.
      expect(outcome.cookieNames).to.include('__Secure-interaction').and.include('__Secure-interaction_resume').and.include('__Host-session');
      expect(outcome.cookieNames).to.include('__Secure-gh_account_state').and.include('__Secure-gh_logout_locale');
      expect(outcome.cookieNames.every((name) => name.startsWith('__Secure-') || name.startsWith('__Host-'))).to.equal(true);
      expect(outcome.loginStatus).to.equal(200);
      expect(outcome.ip).to.equal('203.0.113.7');
      expect(outcome.logs).to.not.include('TRUST_PROXY');
    });

    it('ignores X-Forwarded-Proto without TRUST_PROXY (no secure cookies over http), and says why sign-in fails', async () => {
      const outcome = await attempt(false, 'https');
      // A clear 400 (the page says the request came over plain http), never a 500 from the cookie code.
      expect(outcome.authStatus).to.equal(400);
      expect(outcome.loginStatus).to.equal(undefined);
      expect(outcome.logs).to.include('set TRUST_PROXY=true');
    });

    it('ignores X-Forwarded-For without TRUST_PROXY: the audit log records the real peer', async () => {
      const outcome = await attempt(false, 'http');
      expect(outcome.loginStatus).to.equal(200);
      expect(outcome.ip).to.be.a('string').and.not.equal('203.0.113.7');
      expect(outcome.ip).to.match(/127\.0\.0\.1$/);
    });
  });
});
