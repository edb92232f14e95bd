// Graceful shutdown: a request in flight on a keep-alive connection finishes, and the stop does not
// then wait out SHUTDOWN_DEADLINE_MS for that idle connection.
import net from 'node:net';

import { expect } from 'chai';

import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('graceful shutdown with a keep-alive connection', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.testDatabase.drop());

  it('finishes the in-flight request and stops soon after it, well before the deadline', async () => {
    const { port } = new URL(server.issuer);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const body = 'grant_type=client_credentials';
    // Headers now, body after the stop has begun: the request is in flight during the shutdown.
    socket.write(`POST /token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const stopped = server.running.stop(30_000).then(() => Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(body);
    const ms = await stopped;
    // The answer may still be on its way to this socket when the stop resolves: read until the server closes it.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    expect(response).to.match(/^HTTP\/1\.1 (400|401) /);
    // The deadline is 30 s; the connection is closed once its response is sent.
    expect(ms).to.be.below(10_000);
    socket.destroy();
  });
});
