/** The error codes of API.md, with their HTTP status. */
export const errorStatus = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  quota_exceeded: 409,
  idempotency_conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface FieldError {
  path: string;
  message: string;
}

const titles: Record<ErrorCode, string> = {
  validation_failed: 'Validation failed',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  invalid_state: 'Invalid state',
  quota_exceeded: 'Quota exceeded',
  idempotency_conflict: 'Idempotency conflict',
  precondition_failed: 'Precondition failed',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Rate limited',
  internal: 'Internal error',
};

/** A failure the API reports to its caller as problem+json. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors?: FieldError[];

  constructor(code: ErrorCode, detail: string, errors?: FieldError[]) {
    super(detail);
    this.name = 'ApiError';
    this.code = code;
    this.status = errorStatus[code];
    if (errors?.length) this.errors = errors;
  }

  get title(): string {
    return titles[this.code];
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} was not found`);
export const validationFailed = (detail: string, errors?: FieldError[]) =>
  new ApiError('validation_failed', detail, errors);

/** An If-Match (or a concurrent writer) that no longer names the current version; reports the real one. */
export const preconditionFailed = (actualVersion: number) =>
  new ApiError('precondition_failed', `the resource has changed; its current version is ${actualVersion}`);

/** Refuses a change whose If-Match names another version than the one just read. */
export function assertIfMatch(current: { version: number }, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== current.version) throw preconditionFailed(current.version);
}
