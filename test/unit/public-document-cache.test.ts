// The JWKS and discovery documents are replayed from memory: the replay carries the same status,
// headers and bytes as the full response, requests that could be answered differently always take
// the full path, and a key change or age makes the next request go through again.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';
import Koa from 'koa';

import { publicDocumentCache, type PublicDocumentCache } from '../../src/middleware/koa-public-document-cache.js';

/** Listens on a free port, then serves the app built for that origin. */
async function listen(build: (origin: string) => Koa): Promise<{ server: Server; origin: string }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('request', build(origin).callback());
  return { server, origin };
}

/** Serves the app on a free port for the length of `use`. */
async function withServer(build: (origin: string) => Koa, use: (url: string) => Promise<void>): Promise<void> {
  const { server, origin } = await listen(build);
  try {
    await use(`${origin}/jwks`);
  } finally {
    server.close();
  }
}

/** A GET with the Host header a client chose (fetch cannot send another one). */
function getWithHost(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
    }).on('error', reject).end();
  });
}

describe('public document cache', () => {
  let server: Server;
  let base: string;
  let cache: PublicDocumentCache;
  let fullResponses = 0;
  let version = 1;
  let requestCounter = 0;

  before(async () => {
    ({ server, origin: base } = await listen((origin) => {
      const app = new Koa();
      // Stands for the layers in front (request id) and behind (oidc-provider and its headers).
      app.use(async (ctx, next) => {
        ctx.set('X-Request-Id', `req-${(requestCounter += 1)}`);
        await next();
      });
      cache = publicDocumentCache({ documents: [{ path: '/jwks', route: 'jwks' }], maxAgeMs: 60_000, origin });
      app.use(cache.middleware);
      app.use((ctx) => {
        fullResponses += 1;
        if (ctx.query.fail) return void (ctx.status = 500);
        ctx.type = 'application/jwk-set+json; charset=utf-8';
        ctx.set('ETag', `"v${version}"`);
        ctx.set('Cache-Control', 'public, max-age=60');
        ctx.set('Access-Control-Allow-Origin', '*');
        // Like oidc-provider's discovery document, the answer depends on the Host it was asked under.
        ctx.body = { keys: [{ kid: `k${version}` }], host: ctx.host };
      });
      return app;
    }));
  });

  after(() => server.close());

  beforeEach(() => {
    cache.invalidate();
    fullResponses = 0;
  });

  const headersOf = (response: Response) => Object.fromEntries([...response.headers].filter(([name]) => !['date', 'x-request-id'].includes(name)));

  it('replays the first response byte for byte, headers included, without the full path', async () => {
    const first = await fetch(`${base}/jwks`);
    const firstBody = await first.text();
    const second = await fetch(`${base}/jwks`);
    expect(second.status).to.equal(200);
    expect(await second.text()).to.equal(firstBody);
    expect(headersOf(second)).to.deep.equal(headersOf(first));
    expect(second.headers.get('content-type')).to.equal('application/jwk-set+json; charset=utf-8');
    expect(second.headers.get('etag')).to.equal(`"v${version}"`);
    // Its own request id, not the captured one.
    expect(second.headers.get('x-request-id')).to.not.equal(first.headers.get('x-request-id'));
    expect(fullResponses).to.equal(1);
    const head = await fetch(`${base}/jwks`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(fullResponses).to.equal(1);
  });

  it('goes through again once invalidated (the keys changed)', async () => {
    await fetch(`${base}/jwks`);
    version += 1;
    cache.invalidate();
    const after = (await (await fetch(`${base}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(after.keys[0]!.kid).to.equal(`k${version}`);
    expect(fullResponses).to.equal(2);
  });

  it('lets a query, an Origin, a conditional request or another method take the full path', async () => {
    await fetch(`${base}/jwks`);
    await fetch(`${base}/jwks?x=1`);
    await fetch(`${base}/jwks`, { headers: { origin: 'https://app.example.com' } });
    await fetch(`${base}/jwks`, { headers: { 'if-none-match': '"v1"' } });
    await fetch(`${base}/jwks`, { method: 'POST' });
    await fetch(`${base}/other`);
    expect(fullResponses).to.equal(6);
  });

  it('answers a request addressed to another host in full, and never replays its answer to anyone', async () => {
    const forged = JSON.parse(await getWithHost(`${base}/jwks`, 'evil.example')) as { host: string };
    expect(forged.host).to.equal('evil.example');
    const plain = (await (await fetch(`${base}/jwks`)).json()) as { host: string };
    expect(plain.host).to.equal(new URL(base).host);
    expect(JSON.parse(await getWithHost(`${base}/jwks`, 'evil.example'))).to.have.property('host', 'evil.example');
    expect(fullResponses).to.equal(3);
    // The issuer's own answer is kept and replayed as before.
    expect(((await (await fetch(`${base}/jwks`)).json()) as { host: string }).host).to.equal(new URL(base).host);
    expect(fullResponses).to.equal(3);
  });

  it('never keeps an error response', async () => {
    let calls = 0;
    const build = (origin: string) => {
      const failed = publicDocumentCache({ documents: [{ path: '/jwks', route: 'jwks' }], maxAgeMs: 60_000, origin });
      const app = new Koa();
      app.use(failed.middleware);
      app.use((ctx) => {
        calls += 1;
        ctx.status = 503;
        ctx.body = { error: 'temporarily_unavailable' };
      });
      return app;
    };
    await withServer(build, async (url) => {
      expect((await fetch(url)).status).to.equal(503);
      expect((await fetch(url)).status).to.equal(503);
      expect(calls).to.equal(2);
    });
  });

  it('goes through again when the captured response is older than its maximum age', async () => {
    let calls = 0;
    const build = (origin: string) => {
      const aged = publicDocumentCache({ documents: [{ path: '/jwks', route: 'jwks' }], maxAgeMs: 50, origin });
      const app = new Koa();
      app.use(aged.middleware);
      app.use((ctx) => {
        calls += 1;
        ctx.body = { keys: [] };
      });
      return app;
    };
    await withServer(build, async (url) => {
      await fetch(url);
      await fetch(url);
      expect(calls).to.equal(1);
      await new Promise((resolve) => setTimeout(resolve, 80));
      await fetch(url);
      expect(calls).to.equal(2);
    });
  });
});
