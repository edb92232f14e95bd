// Outbound requests for clients nobody has verified (dynamically registered) reach public addresses
// only. The registration check refuses internal IP literals and localhost; a host *name* can still
// resolve to this machine or a private network, so the name is resolved here, at connection time,
// and the connection is refused before it is made if any address it resolves to is internal. The
// socket then connects to an address that was checked (no second lookup to rebind).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';

import { Agent, fetch as undiciFetch } from 'undici';

import { isInternalAddress, namesInternalAddress } from './internal-address.js';

type Lookup = typeof dnsLookup;
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export class InternalAddressRefused extends Error {
  readonly code = 'EINTERNALADDRESS';
}

/** A `lookup` for net.connect that fails for names resolving to a loopback, private or link-local address. */
export function publicOnlyLookup(lookup: Lookup = dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const internal = addresses.find((entry) => isInternalAddress(entry.address));
      if (internal) return callback(new InternalAddressRefused(`${hostname} resolves to an internal address`), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/** fetch that only ever connects to public addresses; redirects are not followed. */
export function createPublicNetworkFetch({ lookup }: { lookup?: Lookup } = {}): typeof globalThis.fetch {
  const dispatcher = new Agent({ connect: { lookup: publicOnlyLookup(lookup) } });
  return (async (url: string | URL | Request, init: RequestInit = {}) => {
    const target = url instanceof Request ? url.url : String(url);
    // An IP literal is connected to without a lookup: it is checked here instead.
    if (namesInternalAddress(target)) throw new InternalAddressRefused(`${new URL(target).host} is an internal address`);
    return undiciFetch(target, { ...(init as object), redirect: 'manual', dispatcher });
  }) as unknown as typeof globalThis.fetch;
}
