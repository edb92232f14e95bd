// What a sign-in asks of the database, per form post: the pages finish an interaction on the rows
// they read at the start of the request, and the password step learns from the user row read for the
// password whether a second factor is needed.
import { expect } from 'chai';
import * as oidc from 'openid-client';

import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import { PASSWORD, createUser, createWebClient, relyingParty, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';

interface Query {
  sql: string;
  bindings: unknown[];
}

describe('sign-in: database statements per form post', function () {
  this.timeout(60_000);
  let server: TestServer;
  let queries: Query[] = [];
  const record = (query: { sql: string; bindings?: unknown[] }) => queries.push({ sql: query.sql, bindings: query.bindings ?? [] });

  before(async () => {
    server = await startTestServer();
    server.testDatabase.database.knex.on('query', record);
    await createUser(server.core, 'alice');
  });
  after(async () => {
    server?.testDatabase.database.knex.off('query', record);
    await server?.stop();
  });

  /** Statements reading a model row (oidc_models) of this kind, by id or uid. */
  const reads = (model: string) => queries.filter((q) => /^\s*select\b/i.test(q.sql) && /oidc_models/.test(q.sql) && q.bindings[0] === model);

  it('reads the interaction once per post, its session once, and no second-factor state separately', async () => {
    const { clientId, clientSecret } = await createWebClient(server.core, { redirectUri: REDIRECT });
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const browser = new FormBrowser();
    const login = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    expect(login.body).to.include('name="password"');

    queries = [];
    const afterLogin = await browser.post(new URL(formAction(login.body, '/login'), login.url).toString(), { csrf: hiddenField(login.body, 'csrf'), login: 'alice', password: PASSWORD });
    expect(afterLogin.status).to.equal(303);
    expect(reads('Interaction'), 'interaction reads in the login post').to.have.length(1);
    expect(queries.filter((q) => /totp_/.test(q.sql)), 'separate second-factor reads').to.deep.equal([]);

    const consent = await browser.follow(afterLogin, REDIRECT);
    expect(consent.body).to.include('/confirm');
    queries = [];
    const afterConsent = await browser.post(new URL(formAction(consent.body, '/confirm'), consent.url).toString(), { csrf: hiddenField(consent.body, 'csrf') });
    expect(afterConsent.status).to.equal(303);
    expect(reads('Interaction'), 'interaction reads in the consent post').to.have.length(1);
    expect(reads('Session'), 'session reads in the consent post').to.have.length(1);

    // The results recorded this way carry the flow through: a code, then tokens for alice.
    const callback = await browser.follow(afterConsent, REDIRECT);
    expect(callback.url.startsWith(REDIRECT)).to.equal(true);
    const aliceId = (await server.core.users.show('alice')).id;
    queries = [];
    const tokens = await oidc.authorizationCodeGrant(app, new URL(callback.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.claims()?.sub).to.equal(aliceId);
    // The code exchange reads the user with the code (one statement), not in a second one.
    const userReads = () => queries.filter((q) => /^\s*select\b/i.test(q.sql) && /\bfrom\s+"?users"?\b/i.test(q.sql));
    expect(userReads(), 'separate user reads in the code exchange').to.deep.equal([]);

    // UserInfo: the access token, its grant, its session and its user in one statement.
    queries = [];
    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.sub).to.equal(tokens.claims()!.sub);
    expect(queries.filter((q) => !/change_events|clock_timestamp|audit_events/.test(q.sql)), 'statements of a userinfo call').to.have.length(1);
  });
});
