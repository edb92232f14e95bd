// Errors with a stable machine-readable `code`, an HTTP `status`, and whether the message may be
// shown to the caller (`expose`). Anything else that escapes is a 500 with no details.
export type AppErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'forbidden'
  | 'method_not_allowed'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal_error';

const statusOf: Record<AppErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  insufficient_scope: 403,
  method_not_allowed: 405,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
};

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly expose: boolean;

  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: { fields?: FieldError[] },
  ) {
    super(message);
    this.status = statusOf[code];
    this.expose = this.status < 500;
  }
}

export const invalidInput = (message: string, fields?: FieldError[]) =>
  new AppError('invalid_input', message, fields ? { fields } : undefined);
export const notFound = (message: string) => new AppError('not_found', message);
export const conflict = (message: string) => new AppError('conflict', message);
