/** API error codes: a closed set, sent as `{ error: { code, message } }` (DESIGN §5). */
export type ApiErrorCode =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ApiErrorCode, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

// The Remix server build bundles its own copy of this module, so `instanceof` cannot recognise an
// error thrown by the services the web process created; a registered symbol brand can.
const BRAND = Symbol.for('kliovo.HttpError');

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly [BRAND] = true;

  static is(err: unknown): err is HttpError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
  }

  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export const notFound = (what = 'not found') => new HttpError('not_found', what);
