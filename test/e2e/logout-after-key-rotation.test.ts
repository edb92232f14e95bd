// RP-Initiated Logout 1.0 §4: the OP SHOULD accept an ID token as id_token_hint while the relying
// party has a session at the OP, even past the token's exp. A key rotation must not break that: the
// key that signed an ID token stays in the key set as long as the sign-in session can live, not only
// as long as the ID token (which lives minutes).
import { expect } from 'chai';
import { decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';
const BYE = 'http://127.0.0.1:8080/bye';
// ID tokens live 2 s; a successor signs 1 s after it is published; no margin. Before the fix the old
// RS256 key left the key set 2 + 5 (clock tolerance) = 7 s after its retirement.
const ENV = { ID_TOKEN_TTL: '2', KEY_ACTIVATION_DELAY: '1', KEY_RETENTION_MARGIN: '0', JWKS_MAX_AGE: '1', KEY_ROTATION_INTERVAL: '0' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('logout with an ID token signed by a rotated key', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ env: ENV });
    await createUser(server.core, 'alice');
  });
  after(async () => server?.stop());

  it('still shows the logout confirmation and signs the user out, with the redirect and state', async () => {
    const { clientId, clientSecret } = await createWebClient(server.core, { redirectUri: REDIRECT, postLogoutRedirectUri: BYE });
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const { callback } = await signIn(browser, start.url, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const oldKid = decodeProtectedHeader(tokens.id_token!).kid!;

    const [successor] = await server.core.keyRotation.rotate({ algs: ['RS256'] });
    // Past the successor's activation, the ID token's expiry, the clock tolerance and the old key's removal under the old rule.
    await sleep(successor!.activatesAt.getTime() - Date.now() + 9_000);
    const kids = ((await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(kids).to.include(oldKid).and.include(successor!.kid);

    const confirm = await browser.get(oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: BYE, state: 'bye' }).toString());
    expect(confirm.status, confirm.body.slice(0, 300)).to.equal(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const done = await browser.post(`${server.issuer}/session/end/confirm`, { xsrf, logout: 'yes' });
    expect(done.status).to.equal(303);
    expect(done.location).to.match(/^http:\/\/127\.0\.0\.1:8080\/bye\?state=bye/);
  });
});
