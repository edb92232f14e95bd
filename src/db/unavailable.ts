// Tells a database outage (no connection, connection lost, server shutting down or overloaded,
// pool exhausted, statement timed out) from a bug. The former is answered 503 with Retry-After and
// goes away by itself; the latter stays a 500. Any failure to obtain or keep a connection is an
// outage; an error a healthy connection answers with is not.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

// SQLSTATE: class 08 connection exceptions, 53 insufficient resources, 57P01-57P05 shutdown and
// recovery, 57014 statement timeout / cancel, 3D000 no such database and 28000/28P01 refused
// login (only ever raised while connecting); 40P01 deadlock victims are retried by callers, not here.
const SQLSTATE_PREFIXES = ['08', '53', '57P'];
const SQLSTATES = new Set(['57014', '3D000', '28000', '28P01']);

const MESSAGES = [
  'Connection terminated',
  'Connection ended unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Knex: Timeout acquiring a connection',
  'the database system is starting up',
  'the database system is shutting down',
  'is not currently accepting connections',
  // pg's query_timeout: the server did not answer a query in time (database.ts).
  'Query read timeout',
];

// pg's Client gives up connecting (connectionTimeoutMillis) with exactly this message.
const EXACT_MESSAGES = new Set(['timeout expired']);

const CONNECTION_FAILURE = Symbol('gatehouse.connectionFailure');

/** Marks an error raised while the pool was opening a connection: whatever it says, it is an outage. */
export function markConnectionFailure(error: unknown): void {
  if (error && typeof error === 'object') (error as { [CONNECTION_FAILURE]?: true })[CONNECTION_FAILURE] = true;
}

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  if ((error as { [CONNECTION_FAILURE]?: true })[CONNECTION_FAILURE]) return true;
  const { code, name, message, cause } = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && (SQLSTATES.has(code) || SQLSTATE_PREFIXES.some((prefix) => code.startsWith(prefix)))) return true;
  }
  if (typeof message === 'string' && (EXACT_MESSAGES.has(message) || MESSAGES.some((m) => message.includes(m)))) return true;
  // AggregateError (several addresses refused) and wrapped errors.
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
