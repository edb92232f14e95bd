// Reading OAuth requests defensively, before oidc-provider sees them: the raw parameters of a
// query string or form body checked for malformed percent-encoding, invalid UTF-8, duplicates and
// overlong values, and the client_id a request claims (for rate limiting).
import type { Context } from 'koa';

/** Parameters that RFC 8707 (and friends) allow to repeat. */
const REPEATABLE = new Set(['resource']);
/** Parameters that carry JWTs or other long values. */
const LONG_PARAMETERS = new Set(['client_assertion', 'request', 'id_token_hint', 'token', 'assertion', 'subject_token', 'actor_token', 'logout_token', 'claims', 'authorization_details', 'dpop']);
export const MAX_PARAMETER_LENGTH = 4096;
export const MAX_LONG_PARAMETER_LENGTH = 32_768;
const MAX_PARAMETERS = 100;
const MAX_NAME_LENGTH = 128;

export class BadParameters extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function decodeComponent(raw: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) throw new BadParameters('malformed percent-encoding');
  // The common case, printable ASCII: decodeURIComponent rejects escapes that are not UTF-8 (overlong
  // forms, surrogates, truncated sequences) as the strict decoder below does, at a fraction of the cost.
  if (PRINTABLE_ASCII.test(raw)) {
    const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
    try {
      return spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
    } catch {
      throw new BadParameters('parameters must be UTF-8');
    }
  }
  let escaped: string;
  try {
    // Everything but the escapes is escaped too (lone surrogates throw), so the bytes can be checked as UTF-8.
    escaped = raw.replace(/[^%]+/g, (part) => encodeURIComponent(part.replace(/\+/g, ' ')));
  } catch {
    throw new BadParameters('parameters must be UTF-8');
  }
  try {
    return utf8.decode(percentDecodedBytes(escaped));
  } catch {
    throw new BadParameters('parameters must be UTF-8');
  }
}

/** The bytes of an all-ASCII string whose %XX escapes stand for single bytes. */
function percentDecodedBytes(escaped: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i += 1) {
    if (escaped[i] === '%') {
      bytes.push(Number.parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(escaped.charCodeAt(i));
  }
  return Uint8Array.from(bytes);
}

/**
 * Parses application/x-www-form-urlencoded text; throws BadParameters on anything suspicious.
 * `duplicates: 'keep'` leaves repeated parameters for the endpoint to refuse itself (see request limits).
 */
export function parseParameters(text: string, { duplicates = 'refuse' }: { duplicates?: 'refuse' | 'keep' } = {}): Map<string, string[]> {
  const params = new Map<string, string[]>();
  if (!text) return params;
  const pairs = text.split('&').filter(Boolean);
  if (pairs.length > MAX_PARAMETERS) throw new BadParameters('too many parameters');
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    if (name.length > MAX_NAME_LENGTH) throw new BadParameters('parameter name too long');
    if (name.includes('\u0000') || value.includes('\u0000')) throw new BadParameters('parameters must not contain NUL characters');
    const max = LONG_PARAMETERS.has(name) ? MAX_LONG_PARAMETER_LENGTH : MAX_PARAMETER_LENGTH;
    // Names come from the request: say which, but only when it is a plain short word.
    if (value.length > max) throw new BadParameters(`parameter ${safeName(name)} is too long`);
    const values = params.get(name);
    if (values && duplicates === 'refuse' && !REPEATABLE.has(name)) throw new BadParameters(`parameter ${safeName(name)} is duplicated`);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

function safeName(name: string): string {
  return /^[a-z_]{1,40}$/.test(name) ? name : '(name)';
}

/** The client_id claim of a bearer (or DPoP-bound) JWT access token, unverified. */
function bearerClientId(authorization: string): string | undefined {
  const jwt = /^(?:Bearer|DPoP) +[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/i.exec(authorization);
  if (!jwt) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(jwt[1]!, 'base64url').toString('utf8')) as { client_id?: unknown };
    return typeof claims.client_id === 'string' ? boundedId(claims.client_id) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client_id a request claims, unauthenticated: from HTTP Basic, a bearer JWT (userinfo), the
 * form body or the query. Used only to refuse a client already over its limit, never to count.
 */
export function claimedClientId(ctx: Context): string | undefined {
  const fromBearer = bearerClientId(ctx.get('authorization'));
  if (fromBearer) return fromBearer;
  const basic = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(ctx.get('authorization'));
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      try {
        return boundedId(decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')));
      } catch {
        return undefined;
      }
    }
  }
  const params = ctx.state.oauthParams as Map<string, string[]> | undefined;
  const fromBody = params?.get('client_id')?.[0];
  if (fromBody) return boundedId(fromBody);
  const fromQuery = ctx.query.client_id;
  return typeof fromQuery === 'string' ? boundedId(fromQuery) : undefined;
}

const boundedId = (id: string) => (id && id.length <= 128 ? id : undefined);
