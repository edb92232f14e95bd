// The connection-time guard for the URLs of clients nobody verified: a host name that resolves to
// an internal address is refused before any connection, and so is an internal IP literal.
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import net from 'node:net';

import { expect } from 'chai';

import { createPublicNetworkFetch, publicOnlyLookup } from '../../src/oidc/public-network.js';

/** A resolver that knows a few names, as DNS would answer them. */
function fakeLookup(answers: Record<string, LookupAddress[]>) {
  return ((hostname: string, _options: unknown, callback: (error: Error | null, addresses: LookupAddress[]) => void) => {
    const found = answers[hostname];
    if (found) callback(null, found);
    else callback(Object.assign(new Error(`${hostname} not found`), { code: 'ENOTFOUND' }), []);
  }) as unknown as typeof dnsLookup;
}

const resolve = (lookup: ReturnType<typeof publicOnlyLookup>, name: string, all = false) =>
  new Promise<{ error: Error | null; address: unknown; family?: number | undefined }>((done) => lookup(name, { all }, (error, address, family) => done({ error, address, family })));

describe('public-network guard', () => {
  const lookup = publicOnlyLookup(
    fakeLookup({
      'rp.example.com': [{ address: '203.0.113.7', family: 4 }],
      'inside.example.com': [{ address: '10.0.0.5', family: 4 }],
      'mixed.example.com': [{ address: '203.0.113.8', family: 4 }, { address: '::1', family: 6 }],
      'mapped.example.com': [{ address: '::ffff:169.254.169.254', family: 6 }],
    }),
  );

  it('passes a name that resolves to public addresses only, in the shape asked for', async () => {
    expect(await resolve(lookup, 'rp.example.com')).to.deep.equal({ error: null, address: '203.0.113.7', family: 4 });
    const all = await resolve(lookup, 'rp.example.com', true);
    expect(all.address).to.deep.equal([{ address: '203.0.113.7', family: 4 }]);
  });

  it('refuses a name if any address it resolves to is internal (private, loopback, link-local, IPv4-mapped)', async () => {
    for (const name of ['inside.example.com', 'mixed.example.com', 'mapped.example.com']) {
      const { error } = await resolve(lookup, name);
      expect(error, name).to.be.instanceOf(Error);
      expect((error as { code?: string }).code, name).to.equal('EINTERNALADDRESS');
    }
  });

  it('makes no connection to a name resolving to this machine, nor to an internal IP literal', async () => {
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', () => done()));
    const { port } = listener.address() as net.AddressInfo;
    try {
      const guarded = createPublicNetworkFetch({ lookup: fakeLookup({ 'rp.example.com': [{ address: '127.0.0.1', family: 4 }] }) });
      for (const url of [`http://rp.example.com:${port}/logout`, `http://127.0.0.1:${port}/logout`, `http://[::ffff:127.0.0.1]:${port}/logout`]) {
        const failure = await guarded(url, { method: 'POST', body: 'logout_token=x' }).then(() => undefined, (error: unknown) => error);
        expect(failure, url).to.be.instanceOf(Error);
      }
      expect(connections).to.equal(0);
      // The same listener is reachable without the guard: the refusals above are the guard's.
      await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      expect(connections).to.equal(1);
    } finally {
      listener.close();
    }
  });
});
