// The admin API speaks snake_case JSON (like OAuth and the answers it gives); the services take
// camelCase input. Only top-level body fields are renamed: nested objects (scopes, a profile of
// claim names) are the same on both sides.
import { AppError, invalidInput, type FieldError } from '../../errors/app-error.js';

export const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The body with its top-level fields renamed for the service; names that are not canonical snake_case are refused. */
export function bodyFromWire(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const unknown: FieldError[] = [];
  const mapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    // "redirectUris" or "Redirect_Uris" would otherwise reach the service as a known field.
    if (snakeCase(camelCase(key)) !== key || /[A-Z]/.test(key)) unknown.push({ path: `body.${key}`, message: 'is not a known field' });
    else mapped[camelCase(key)] = value;
  }
  if (unknown.length) throw invalidInput(`invalid input: ${unknown.map((f) => `${f.path}: ${f.message}`).join('; ')}`, unknown);
  return mapped;
}

/** Rewrites a service's field errors into the wire's names: body.redirect_uris.0 instead of redirectUris.0. */
export function errorToWire(error: unknown): unknown {
  if (!(error instanceof AppError) || error.code !== 'invalid_input' || !error.details?.fields) return error;
  const fields = error.details.fields.map((field) => {
    if (/^(body|query|params)(\.|$)/.test(field.path)) return field;
    const [first = '', ...rest] = field.path === '(body)' ? [] : field.path.split('.');
    return { path: ['body', snakeCase(first), ...rest].filter(Boolean).join('.'), message: field.message };
  });
  return invalidInput(`invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
}

/** A JSON Schema of a service input, with its top-level properties renamed to the wire's names. */
export function jsonSchemaToWire(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (!properties) return schema;
  return {
    ...schema,
    properties: Object.fromEntries(Object.entries(properties).map(([key, value]) => [snakeCase(key), value])),
    ...(Array.isArray(schema.required) ? { required: (schema.required as string[]).map(snakeCase) } : {}),
  };
}
