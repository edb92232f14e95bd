// TOTP codes for tests. Gatehouse accepts only the current 30-second step (ASVS 5.0 V6.5.5), and each
// step once, so a test waits for a step with time left in it (and, after one code, for the next).
import { Secret, TOTP } from 'otpauth';

const PERIOD_MS = 30_000;
/** A code is not generated in the last seconds of its step: the request might arrive in the next. */
const MARGIN_MS = 4_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TotpCode {
  code: string;
  step: number;
}

/** A code of the current step, with at least a few seconds left; with `after`, of a later step than that one. */
export async function totpCode(base32: string, { after }: { after?: number } = {}): Promise<TotpCode> {
  for (;;) {
    const now = Date.now();
    const step = Math.floor(now / PERIOD_MS);
    const left = (step + 1) * PERIOD_MS - now;
    if ((after === undefined || step > after) && left >= MARGIN_MS) {
      return { code: new TOTP({ secret: Secret.fromBase32(base32), period: 30, digits: 6, algorithm: 'SHA1' }).generate({ timestamp: now }), step };
    }
    await sleep(left + 50);
  }
}
