// Turns a zod validation failure into a 400 with one entry per offending field.
import type { z } from 'zod';

import { invalidInput } from '../errors/app-error.js';

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  throw invalidInput(`invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
}
