// Whether a URL names this machine or a private network by its address (or as localhost): a
// client nobody has verified must not have Gatehouse send requests there (server-side request
// forgery). A name that resolves to such an address is caught when connecting (public-network.ts).
import { BlockList, isIP } from 'node:net';

const internal = new BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15]] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) internal.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address (v4 or v6, IPv4-mapped included) is loopback, private, link-local or CGNAT. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // BlockList also matches an IPv4 address written as IPv6 (::ffff:127.0.0.1) against the IPv4 ranges.
  return internal.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export function namesInternalAddress(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isInternalAddress(host.startsWith('[') ? host.slice(1, -1) : host);
}
