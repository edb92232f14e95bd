// URI rules for client metadata: redirect URIs per RFC 9700 / RFC 8252, and https-only links.
import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'ftp:', 'ws:', 'wss:']);

export type RedirectUriKind = 'web' | 'loopback' | 'private-use';

/** Classifies a redirect URI, or explains why it is not acceptable. */
export function classifyRedirectUri(value: string): { kind: RedirectUriKind } | { error: string } {
  if (value.includes('*')) return { error: 'wildcards are not allowed' };
  if (/\s/.test(value)) return { error: 'must not contain whitespace' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { error: 'must be an absolute URI' };
  }
  if (value.includes('#')) return { error: 'must not contain a fragment' };
  if (url.username || url.password) return { error: 'must not contain user information' };
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return { error: `the ${url.protocol} scheme is not allowed` };
  if (url.protocol === 'https:') {
    if (!url.hostname) return { error: 'must have a host' };
    return { kind: 'web' };
  }
  if (url.protocol === 'http:') {
    if (LOOPBACK_HOSTS.has(url.hostname)) return { kind: 'loopback' };
    return { error: 'http is only allowed on a loopback host (127.0.0.1, [::1], localhost); use https' };
  }
  // RFC 8252 §7.1: private-use schemes are reverse domain names, e.g. com.example.app:/callback.
  const scheme = url.protocol.slice(0, -1);
  if (!/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+$/.test(scheme)) {
    return { error: 'a private-use scheme must be a reverse domain name such as com.example.app' };
  }
  if (value.startsWith(`${scheme}://`) && !url.host) return { error: 'must have a path' };
  return { kind: 'private-use' };
}

export const redirectUriSchema = z.string().max(2000).superRefine((value, ctx) => {
  const result = classifyRedirectUri(value);
  if ('error' in result) ctx.addIssue({ code: 'custom', message: result.error });
});

export const httpsUrlSchema = z
  .string()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && !!url.hostname && !url.username && !url.password && !value.includes('#');
    } catch {
      return false;
    }
  }, 'must be an https URL without a fragment');

/** A URL Gatehouse calls with a notification (back-channel logout): https, or http on a loopback host. */
export const notificationUriSchema = z
  .string()
  .max(2000)
  .refine((value) => {
    const url = URL.parse(value);
    if (!url || url.username || url.password || value.includes('#')) return false;
    return url.protocol === 'https:' ? !!url.hostname : url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  }, 'must be an https URL (or http on a loopback host) without a fragment');

/** An API identifier (the audience of its tokens): an absolute URI without a fragment (RFC 8707). */
export const apiIdentifierSchema = z
  .string()
  .max(500)
  .refine((value) => {
    if (value.includes('#') || /\s/.test(value) || value.includes('*')) return false;
    return URL.parse(value) !== null;
  }, 'must be an absolute URI without a fragment, e.g. https://api.example.com');

/**
 * RFC 8252: a native app. Any private-use redirect URI says so (§7.1); so does a public client whose
 * redirect URIs are all on the user's own device, loopback ones included, and which therefore must be
 * allowed any port at request time (§7.3: it takes an ephemeral port from the operating system).
 * A client with a secret, or with any https redirect URI, is a web app, matched port for port.
 */
export function isNativeApp(redirectUris: readonly string[], isPublic: boolean): boolean {
  const kinds = redirectUris.map((uri) => {
    const result = classifyRedirectUri(uri);
    return 'kind' in result ? result.kind : undefined;
  });
  if (kinds.includes('private-use')) return true;
  return isPublic && kinds.length > 0 && kinds.every((kind) => kind === 'loopback');
}
