// What a new password must be (OWASP ASVS 5.0 §6.2): 8 to 128 characters counted as Unicode code
// points, no composition rules, never truncated, and not on the list of common passwords shipped in
// resources/common-passwords.txt (built by scripts/common-passwords.py).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { RESOURCES_DIR } from '../paths.js';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordProblem = 'too_short' | 'too_long' | 'common';

/** Read once: a constant of the project, like a view template. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the project's own file
  readFileSync(path.join(RESOURCES_DIR, 'common-passwords.txt'), 'utf8').split('\n').filter(Boolean),
);

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}

/** The first thing wrong with a new password, or undefined when it is acceptable. */
export function passwordProblem(password: string): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  if (isCommonPassword(password)) return 'common';
  return undefined;
}
