// Between the password and the second step of a sign-in, the page carries who passed the password:
// an HMAC under the cookie keys binds the user to this interaction and expires after a few minutes.
import { createHmac, timingSafeEqual } from 'node:crypto';

const LIFETIME_SECONDS = 300;

export class PendingLogins {
  constructor(private readonly keys: readonly string[]) {}

  issue(interactionUid: string, userId: string, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + LIFETIME_SECONDS;
    return `${userId}.${expires}.${this.mac(this.keys[0]!, interactionUid, userId, expires)}`;
  }

  /** The user id the token names, when it is genuine, for this interaction and not expired. */
  verify(interactionUid: string, token: unknown, now = Date.now()): string | undefined {
    if (typeof token !== 'string' || token.length > 200) return undefined;
    const [userId, expiresText, mac] = token.split('.');
    const expires = Number(expiresText);
    if (!userId || !mac || !Number.isSafeInteger(expires) || expires < Math.floor(now / 1000)) return undefined;
    const given = Buffer.from(mac);
    const genuine = this.keys.some((key) => {
      const expected = Buffer.from(this.mac(key, interactionUid, userId, expires));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    return genuine ? userId : undefined;
  }

  private mac(key: string, uid: string, userId: string, expires: number): string {
    return createHmac('sha256', key).update(`pending-login:${uid}:${userId}:${expires}`).digest('base64url');
  }
}
