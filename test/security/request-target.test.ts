// Where a request is addressed: a target in absolute form names its own host (and is answered for
// that host only, never cached for the issuer's), and an invalid Host header is a 400, not a 500.
import net from 'node:net';

import { expect } from 'chai';

import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** One raw HTTP/1.1 request; the whole answer as text. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('security: request targets and Host', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await startTestServer();
    port = Number(new URL(server.issuer).port);
  });
  after(async () => server?.stop());

  it('never lets an absolute-form target put another host into the discovery document others get', async () => {
    for (let i = 0; i < 3; i += 1) {
      await raw(port, `GET http://evil.example/.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
      const document = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(document.token_endpoint).to.equal(`${server.issuer}/token`);
      expect(JSON.stringify(document)).to.not.include('evil.example');
    }
  });

  it('answers an invalid Host header with 400, never a 500', async () => {
    for (const host of ['a b', 'evil.com:99999', '[::1']) {
      for (const path of ['/.well-known/openid-configuration', '/device', '/session/end']) {
        const answer = await raw(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        expect(answer, `${host} ${path}`).to.match(/^HTTP\/1\.1 400 /);
      }
    }
  });
});
