// Turns a zod validation failure into a 400 with one entry per offending field (one per unknown
// field too, so a caller sees exactly which names were not accepted).
import type { z } from 'zod';

import { invalidInput, type FieldError } from '../errors/app-error.js';

export function fieldErrorsOf(error: z.ZodError, prefix = ''): FieldError[] {
  const join = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || '(body)';
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

/** Deeper than any real input: refused before the walk below (or the schema) could exhaust the stack. */
const MAX_DEPTH = 64;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export type Unstorable = { path: string[]; message: string };

/**
 * Where the input holds text Postgres cannot store (a NUL character, or a lone UTF-16 surrogate,
 * which jsonb refuses and text turns into U+FFFD), or nests deeper than any real input. Each would
 * otherwise fail later as a 500 or be stored altered.
 */
export function unstorable(input: unknown): Unstorable | undefined {
  const check = (text: string) =>
    text.includes('\u0000') ? 'must not contain a NUL character' : LONE_SURROGATE.test(text) ? 'must be valid Unicode (no lone surrogate)' : undefined;
  const pending: { value: unknown; path: string[] }[] = [{ value: input, path: [] }];
  while (pending.length) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      const message = check(value);
      if (message) return { path, message };
    } else if (value && typeof value === 'object') {
      if (path.length >= MAX_DEPTH) return { path, message: `must not nest deeper than ${MAX_DEPTH} levels` };
      for (const [key, child] of Object.entries(value)) {
        const message = check(key);
        // The offending name is reported with what cannot be stored shown as U+FFFD.
        if (message) return { path: [...path, key.replaceAll('\u0000', '\ufffd').replace(new RegExp(LONE_SURROGATE, 'g'), '\ufffd')], message };
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
  return undefined;
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const bad = unstorable(input);
  if (bad) {
    const path = [prefix, ...bad.path].filter(Boolean).join('.') || '(body)';
    throw invalidInput(`invalid input: ${path}: ${bad.message}`, [{ path, message: bad.message }]);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = fieldErrorsOf(result.error, prefix);
  throw invalidInput(`invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
}
