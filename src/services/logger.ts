// Structured JSON logs (pino) with every credential-bearing field redacted.
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'client_secret',
  '*.client_secret',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
  'code',
  '*.code',
  'code_verifier',
  '*.code_verifier',
  'client_assertion',
  '*.client_assertion',
  'id_token_hint',
  '*.id_token_hint',
  'registration_access_token',
  '*.registration_access_token',
  'initial_access_token',
  '*.initial_access_token',
  'passphrase',
  '*.passphrase',
  'privateJwk',
  '*.privateJwk',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

const REDACTED = '[redacted]';

// An error's code (ECONNREFUSED, a SQLSTATE) is what an operator needs, but '*.code' (meant for
// authorization codes) matches err.code too: the err serializer marks it, the censor lets it through.
class ErrorCode {
  constructor(private readonly value: unknown) {}

  toJSON(): unknown {
    return this.value;
  }
}

function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (!serialized || typeof serialized !== 'object' || !('code' in serialized)) return serialized;
  return { ...serialized, code: new ErrorCode((serialized as { code: unknown }).code) };
}

function censor(value: unknown): unknown {
  return value instanceof ErrorCode ? value : REDACTED;
}

export function createLogger({ level, destination }: { level: string; destination?: NodeJS.WritableStream }): Logger {
  // Standard output by default, written asynchronously: a line per request must not cost a
  // write(2) each. Lines buffered at exit are flushed synchronously by pino's exit handler.
  if (level !== 'silent') destination ??= pino.destination({ dest: 1, sync: false }) as unknown as NodeJS.WritableStream;
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: { paths: REDACTED_PATHS, censor },
      serializers: { err: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}
