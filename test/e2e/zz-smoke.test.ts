import { expect } from 'chai';
import { adminApi, adminToken } from '../helpers/admin.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
describe('smoke', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => server?.stop());
  it('works', async () => {
    const token = await adminToken(server);
    const api = adminApi(server, token);
    console.log(await api('GET', '/clients'));
    console.log(await api('POST', '/apis', { identifier: 'https://x.example.com', scopes: [{ name: 'x:read' }], roles_claim: true }));
    console.log(JSON.stringify((await api('POST', '/clients', { name: 'W', redirectUris: ['http://evil.com/cb'], foo: 1 })).body));
    console.log(JSON.stringify((await api('POST', '/clients', { name: 'W', redirect_uris: ['http://evil.com/cb'] })).body));
    console.log(JSON.stringify((await api('GET', '/nope')).body));
    console.log(JSON.stringify((await api('DELETE', '/clients')).body));
    console.log(JSON.stringify((await adminApi(server, undefined)('GET', '/clients'))));
    const doc = await fetch(`${server.issuer}/admin/v1/openapi.json`).then(r => r.json());
    console.log(JSON.stringify(doc).slice(0, 3000));
    const docs = await fetch(`${server.issuer}/admin/docs`);
    console.log(docs.status, (await docs.text()).length);
  });
});
