// Text Postgres cannot store — a NUL character, a lone UTF-16 surrogate (jsonb refuses it, text
// turns it into U+FFFD) — and input nested deeper than any real one are refused with a 400 in the
// surface's own shape wherever they arrive: registration metadata, the admin API, the sign-in form.
// Never a 500, never a silently altered record.
import { expect } from 'chai';

import { adminApi, adminToken } from '../helpers/admin.js';
import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import { createUser, createWebClient, relyingParty, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';
const LONE = '\ud800';

describe('security: text that cannot be stored', function () {
  this.timeout(60_000);
  let server: TestServer;
  let admin: ReturnType<typeof adminApi>;

  before(async () => {
    server = await startTestServer({ env: { DYNAMIC_REGISTRATION: 'open' } });
    admin = adminApi(server, await adminToken(server));
    await createUser(server.core, 'alice');
  });
  after(async () => server?.stop());

  it('registration metadata with a lone surrogate → 400 invalid_request, and no client', async () => {
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a hostile client would.
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: `a${LONE}b`, redirect_uris: ['https://app.example.com/cb'] }),
    });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as { error: string }).error).to.equal('invalid_request');
    expect((await server.core.clients.listPage({ limit: 50 }, { dynamic: true })).items).to.have.length(0);
    // A surrogate pair (an emoji) is text like any other.
    const emoji = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'app \ud83d\ude80', redirect_uris: ['https://app.example.com/cb'] }),
    });
    expect(emoji.status).to.equal(201);
  });

  it('the admin API refuses a lone surrogate in a name or a profile, and nesting deeper than 64 levels', async () => {
    const cases: [string, 'POST' | 'PATCH', Record<string, unknown> | string][] = [
      ['/clients', 'POST', { name: `x${LONE}`, redirect_uris: [REDIRECT] }],
      ['/users', 'POST', { username: 'frank', password: 'a long enough passphrase', profile: { nickname: `x${LONE}` } }],
      ['/users', 'POST', { username: 'grace', password: 'a long enough passphrase', name: `G${LONE}` }],
      // As text: JSON.stringify itself would run out of stack on it.
      ['/roles', 'POST', `{"name":"deep","description":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ];
    for (const [path, method, body] of cases) {
      const response = await admin(method, path, body);
      expect(response.status, `${method} ${path}`).to.equal(400);
      expect(response.body.code, `${method} ${path}`).to.equal('invalid_input');
    }
    expect((await server.core.users.list()).map((u) => u.username)).to.deep.equal(['alice']);
  });

  it('the sign-in form refuses a NUL character with a 400, not a 500', async () => {
    const { clientId, clientSecret } = await createWebClient(server.core, { redirectUri: REDIRECT });
    const start = await startAuthorization(await relyingParty(server.issuer, clientId, clientSecret), { redirectUri: REDIRECT, scope: 'openid' });
    const browser = new FormBrowser();
    const login = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    const action = new URL(formAction(login.body, '/login'), login.url).toString();
    const refused = await browser.post(action, { csrf: hiddenField(login.body, 'csrf'), login: 'al\u0000ice', password: 'x' });
    expect(refused.status).to.equal(400);
    expect((JSON.parse(refused.body) as { code: string }).code).to.equal('invalid_input');
  });
});
