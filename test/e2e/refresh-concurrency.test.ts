// Concurrent use of one refresh token: exactly one request rotates it. Without a grace window the
// others are treated as reuse (RFC 9700 §4.14.2: the grant is revoked); within the grace window
// they are refused but the winner's tokens stay valid (a client refreshing from two tabs at once).
import { expect } from 'chai';
import * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { createApi, createResourceServerClient, createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

async function refreshAtOnce(server: TestServer, app: oidc.Configuration, refreshToken: string, count: number) {
  const { client_id: clientId } = app.clientMetadata();
  const secret = (app.clientMetadata() as { client_secret?: string }).client_secret!;
  return Promise.all(
    Array.from({ length: count }, () =>
      fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> })),
    ),
  );
}

for (const grace of [0, 5]) {
  describe(`concurrent refresh with a ${grace}s reuse grace window`, () => {
    let server: TestServer;
    let app: oidc.Configuration;
    let api: oidc.Configuration;

    before(async () => {
      server = await startTestServer({ env: { REFRESH_TOKEN_REUSE_GRACE: String(grace) } });
      await createApi(server.core, API, ['orders:read']);
      await createUser(server.core, 'alice');
      const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API] });
      app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
      const rs = await createResourceServerClient(server.core, API);
      api = await relyingParty(server.issuer, rs.clientId, rs.clientSecret);
    });

    after(async () => server?.stop());

    it('lets exactly one request rotate the refresh token', async () => {
      const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid offline_access orders:read', resource: API, prompt: 'consent' });
      const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT);
      const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });

      const results = await refreshAtOnce(server, app, tokens.refresh_token!, 6);
      const winners = results.filter((r) => r.status === 200);
      expect(winners).to.have.length(1);
      for (const loser of results.filter((r) => r.status !== 200)) {
        expect(loser.status).to.equal(400);
        expect(loser.body.error).to.equal('invalid_grant');
      }
      const winner = winners[0]!.body;
      const stillActive = (await oidc.tokenIntrospection(api, winner.access_token!)).active;
      if (grace === 0) {
        expect(stillActive).to.equal(false);
        expect((await refreshAtOnce(server, app, winner.refresh_token!, 1))[0]!.status).to.equal(400);
      } else {
        expect(stillActive).to.equal(true);
        expect((await refreshAtOnce(server, app, winner.refresh_token!, 1))[0]!.status).to.equal(200);
      }
    });
  });
}
