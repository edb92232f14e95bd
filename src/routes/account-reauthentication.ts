// Authenticating again on the account page (ASVS V7.5): before a sensitive change the signed-in user
// enters their password again. Each attempt counts against the sign-in throttle of their account, as a
// failed sign-in would, and a refusal is written to the audit log.
import type { AuditLog } from '../services/audit-log.js';
import { sleep, throttleAccount, type LoginThrottle } from '../services/login-throttle.js';
import type { UserService } from '../services/users.js';

export interface AccountHolder {
  userId: string;
  username: string;
}

export type Reauthentication = { ok: true } | { ok: false; status: 400 } | { ok: false; status: 429; retryAfterSeconds: number };

/** Password failures of a signed-in user count against their account, as at sign-in. */
export const accountThrottleKey = (who: AccountHolder) => throttleAccount(who.username, { id: who.userId });

export async function reauthenticate(
  deps: { users: UserService; throttle: LoginThrottle; audit: AuditLog },
  who: AccountHolder,
  password: string,
  request: { ip: string; userAgent: string | null; requestId: string | null },
  failure: { type: string; details?: Record<string, unknown> },
): Promise<Reauthentication> {
  const verdict = await deps.throttle.check(accountThrottleKey(who), request.ip);
  if (verdict.blocked) {
    deps.audit.record({ type: failure.type, outcome: 'failure', userId: who.userId, ...request, details: { ...failure.details, reason: 'throttled' } });
    return { ok: false, status: 429, retryAfterSeconds: verdict.retryAfterSeconds };
  }
  // The growing delay after failures applies here as on the sign-in page (LOGIN_DELAY_AFTER).
  if (verdict.delayMs) await sleep(verdict.delayMs);
  // Checked against the signed-in user's own record (by id), not looked up by name.
  if (!(await deps.users.verifySignIn(await deps.users.findById(who.userId), password))) {
    deps.audit.record({ type: failure.type, outcome: 'failure', userId: who.userId, ...request, details: { ...failure.details, reason: 'wrong_password' } });
    return { ok: false, status: 400 };
  }
  // The attempt was counted by check(); a right password takes it back.
  await deps.throttle.recordSuccess(accountThrottleKey(who), request.ip, verdict);
  return { ok: true };
}
