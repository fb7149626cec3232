// The catalogue of error codes and their HTTP statuses (SPEC section 5), and the failure value that
// services return for expected outcomes. The HTTP layer and the CLI both render these.
export const ERROR_STATUS = {
  invalid_request: 400,
  ambiguous_credentials: 400,
  missing_token: 401,
  unauthenticated: 401,
  invalid_token: 401,
  token_suspended: 401,
  token_revoked: 401,
  token_expired: 401,
  token_rotated: 401,
  invalid_credentials: 401,
  invalid_signature: 401,
  insufficient_permission: 403,
  ip_not_allowed: 403,
  csrf: 403,
  https_required: 403,
  not_found: 404,
  unknown_institution: 404,
  request_timeout: 408,
  invalid_transition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An expected failure, returned as a value by services (exceptions are for bugs and infrastructure). */
export interface Failure {
  ok: false;
  code: ErrorCode;
  message: string;
  field?: string;
}

export type Result<T> = { ok: true; value: T } | Failure;

export function fail(code: ErrorCode, message: string, field?: string): Failure {
  return field ? { ok: false, code, message, field } : { ok: false, code, message };
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

/**
 * A failed send's reason as its row records it: the error's message (or the value), at most 500
 * characters.
 */
export const sendFailure = (error: unknown): string =>
  ((error instanceof Error && error.message) || String(error)).slice(0, 500);
