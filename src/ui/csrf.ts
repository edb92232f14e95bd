// Anti-CSRF tokens for the interaction forms: an HMAC of the interaction id under the cookie keys.
// The form must carry it and the browser must carry the interaction cookie (checked by the provider).
import { createHmac, timingSafeEqual } from 'node:crypto';

export class CsrfTokens {
  constructor(private readonly keys: readonly string[]) {}

  issue(bindingId: string): string {
    return this.sign(this.keys[0]!, bindingId);
  }

  verify(bindingId: string, presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length > 100) return false;
    const given = Buffer.from(presented);
    return this.keys.some((key) => {
      const expected = Buffer.from(this.sign(key, bindingId));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private sign(key: string, bindingId: string): string {
    return createHmac('sha256', key).update(`csrf:${bindingId}`).digest('base64url');
  }
}
