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

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = fieldErrorsOf(result.error, prefix);
  throw invalidInput(`invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
}
