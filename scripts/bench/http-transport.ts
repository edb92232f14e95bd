// A lean HTTP client for the bench's scripted flows (sign-in, refresh rotation): node:http over
// kept-alive connections. The load generator shares this machine's two cores with the server, so
// its own cost per request comes out of the server's share: fetch (undici, WHATWG streams) took
// about 17 ms of CPU per sign-in flow here, as much as Postgres did for the server.
import http from 'node:http';

import type { Transport } from '../../test/helpers/browser.js';

/** Sends requests over one kept-alive agent; the answer's headers as a WHATWG Headers (Set-Cookie kept apart). */
export function keepAliveTransport(): Transport {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return (url, init) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'http:') throw new Error(`the bench's transport speaks plain HTTP to 127.0.0.1, not ${target.protocol}`);
      const headers: Record<string, string> = Object.fromEntries(init.headers);
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
      const request = http.request(target, { method: init.method, headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (Array.isArray(value)) for (const item of value) answer.append(name, item);
            else if (value !== undefined) answer.set(name, value);
          }
          resolve({ status: response.statusCode ?? 0, headers: answer, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.on('error', reject);
      request.end(init.body);
    });
}
