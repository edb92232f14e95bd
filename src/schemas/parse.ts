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

/** Where a NUL character hides in the input (Postgres text cannot hold one; it would fail as a 500). */
function nulPath(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = key.includes('\u0000') ? [...path, key] : nulPath(child, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const nul = nulPath(input);
  if (nul) {
    const path = [prefix, ...nul].filter(Boolean).join('.') || '(body)';
    throw invalidInput(`invalid input: ${path}: must not contain a NUL character`, [{ path, message: 'must not contain a NUL character' }]);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = fieldErrorsOf(result.error, prefix);
  throw invalidInput(`invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
}
