// OpenID Connect Core §3.1.2.1 and RP-Initiated Logout §2: the authorization and logout endpoints
// take POST with form-serialised parameters as well as GET. The browser is sent on to the same
// endpoint as a GET (the session cookie stays SameSite=Lax), and the request goes on as usual.
import { expect } from 'chai';
import * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';
const LOGGED_OUT = 'http://127.0.0.1:8080/logged-out';

describe('HTTP POST at the authorization and logout endpoints', function () {
  this.timeout(60_000);
  let server: TestServer;
  let client: { clientId: string; clientSecret: string | undefined };

  before(async () => {
    server = await startTestServer();
    await createUser(server.core, 'alice');
    client = await createWebClient(server.core, { redirectUri: REDIRECT, postLogoutRedirectUri: LOGGED_OUT });
  });
  after(async () => server?.stop());

  const postForm = (browser: FormBrowser, path: string, params: URLSearchParams) => browser.post(`${server.issuer}${path}`, Object.fromEntries(params));

  it('runs the code flow from an authorization request sent by POST', async () => {
    const app = await relyingParty(server.issuer, client.clientId, client.clientSecret);
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const browser = new FormBrowser();
    const posted = await postForm(browser, '/auth', start.url.searchParams);
    expect(posted.status).to.equal(303);
    const forwarded = new URL(posted.location!, server.issuer);
    expect(forwarded.pathname).to.equal('/auth');
    expect(Object.fromEntries(forwarded.searchParams)).to.deep.equal(Object.fromEntries(start.url.searchParams));
    const { callback } = await signIn(browser, forwarded, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.claims()?.sub).to.equal((await server.core.users.show('alice')).id);

    // And the logout request by POST reaches the logout page of that session.
    const logout = await postForm(browser, '/session/end', new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGGED_OUT, state: 'bye' }));
    expect(logout.status).to.equal(303);
    const page = await browser.follow(logout, LOGGED_OUT);
    expect(page.status).to.equal(200);
    expect(page.url).to.match(/\/session\/end\?/);
    expect(page.body).to.include('/session/end/confirm');
  });

  it('refuses a POST with parameters in the query or a body that is not a form', async () => {
    const inQuery = await fetch(`${server.issuer}/auth?client_id=${client.clientId}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'response_type=code' });
    expect(inQuery.status).to.equal(400);
    expect(((await inQuery.json()) as { error: string }).error).to.equal('invalid_request');
    const json = await fetch(`${server.issuer}/auth`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: client.clientId }) });
    expect(json.status).to.equal(400);
  });
});
