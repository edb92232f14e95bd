// What a new password must be (OWASP ASVS 5.0 §6.2): 8 to 128 characters counted as Unicode code
// points, no composition rules, never truncated, not on the list of common passwords shipped in
// resources/common-passwords.txt (built by scripts/common-passwords.py), and not built on the words of
// its context (V6.2.11): the user's name and email, the service's name.
// Passwords are compared in Unicode NFC (NIST SP 800-63B §5.1.1.2), so the same text typed on
// systems that compose accents differently is the same password.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { RESOURCES_DIR } from '../paths.js';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'context';

/** The form a password is hashed and checked in. */
export const normalizePassword = (password: string): string => password.normalize('NFC');

/** Context words shorter than this are too common inside other words to refuse a password for. */
const MIN_CONTEXT_WORD = 4;

/**
 * The words of a password's context: the username, the parts of the email address and of the name,
 * and the service's names. Lower case, NFC, without duplicates or short ones.
 */
export function contextWords(...sources: (string | null | undefined)[]): string[] {
  const words = sources
    .flatMap((source) => normalizePassword(source ?? '').toLowerCase().split(/[^\p{L}\p{N}]+/u))
    .filter((word) => [...word].length >= MIN_CONTEXT_WORD);
  return [...new Set(words)];
}

/** Whether the password is little more than its context words: what is left without them is shorter than the minimum. */
export function buildsOnContext(password: string, words: readonly string[]): boolean {
  let rest = normalizePassword(password).toLowerCase();
  const found = words.filter((word) => rest.includes(word));
  if (!found.length) return false;
  for (const word of found.sort((a, b) => b.length - a.length)) rest = rest.split(word).join('');
  return [...rest.replace(/[^\p{L}\p{N}]+/gu, '')].length < PASSWORD_MIN_LENGTH;
}

/** Read once: a constant of the project, like a view template. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the project's own file
  readFileSync(path.join(RESOURCES_DIR, 'common-passwords.txt'), 'utf8').split('\n').filter(Boolean),
);

/** Checked in the form that is hashed (NFC), so a decomposed spelling is not a way around the list. */
export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(normalizePassword(password).toLowerCase());
}

/** Characters (code points) of the form that is hashed: "ü" typed decomposed is one, not two. */
export function passwordLength(password: string): number {
  return [...normalizePassword(password)].length;
}

/** The first thing wrong with a new password, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: readonly string[] = []): PasswordProblem | undefined {
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  if (isCommonPassword(password)) return 'common';
  if (buildsOnContext(password, context)) return 'context';
  return undefined;
}
