// Tells a database outage (no connection, connection lost, server shutting down or overloaded,
// pool exhausted, statement timed out) from a bug. The former is answered 503 with Retry-After and
// goes away by itself; the latter stays a 500.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

// SQLSTATE: class 08 connection exceptions, 53 insufficient resources, 57P01-57P05 shutdown and
// recovery, 57014 statement timeout / cancel, 40P01 deadlock victims are retried by callers, not here.
const SQLSTATE_PREFIXES = ['08', '53', '57P'];
const SQLSTATES = new Set(['57014']);

const MESSAGES = [
  'Connection terminated',
  'Connection ended unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Knex: Timeout acquiring a connection',
  'the database system is starting up',
  'the database system is shutting down',
];

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const { code, name, message, cause } = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && (SQLSTATES.has(code) || SQLSTATE_PREFIXES.some((prefix) => code.startsWith(prefix)))) return true;
  }
  if (typeof message === 'string' && MESSAGES.some((m) => message.includes(m))) return true;
  // AggregateError (several addresses refused) and wrapped errors.
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
