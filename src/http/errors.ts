// How errors reach the wire: every error response is `{error, message, field?, permission?}`; a 5xx
// never carries the underlying message. The codes themselves are catalogued in ../errors.ts.
import type { FastifyError } from 'fastify';
import { ERROR_STATUS, type ErrorCode, type Failure } from '../errors.js';
import { scrub } from '../log.js';

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  field?: string;
  /** The first permission a token lacks (insufficient_permission on a token route). */
  permission?: string;
}

/** Thrown by hooks and handlers to answer with a catalogued error. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    readonly permission?: string,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  body(): ErrorBody {
    const body: ErrorBody = { error: this.code, message: this.message };
    if (this.field) body.field = this.field;
    if (this.permission) body.permission = this.permission;
    return body;
  }
}

/** Turns a service's failure value into the error the route answers with. */
export const fromFailure = (f: Failure) => new ApiError(f.code, f.message, f.field);

// Socket and DNS failures on the way to the database, and pg's own words for a lost or slow server.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE']);
const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const LOST =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connection (is )?closed/i;

/**
 * Errors that mean the database cannot be reached: answered 503 so that checks fail closed. Node wraps
 * a failed connect to a name with several addresses in an AggregateError, and drivers put the socket
 * error in `cause`, so both are looked into.
 */
export function isUnavailable(error: unknown, depth = 0): boolean {
  const e = error as { code?: string; message?: string; cause?: unknown; errors?: unknown[] } | null;
  if (!e || depth > 3) return false;
  if (UNREACHABLE.has(e.code ?? '') || UNRESOLVED.has(e.code ?? '')) return true;
  // 57P01 admin shutdown, 57P03 cannot connect now, 08xxx connection exceptions, 53300 too many clients.
  if (/^(57P0[1-3]|08...|53300)$/.test(e.code ?? '')) return true;
  if (LOST.test(e.message ?? '')) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isUnavailable(inner, depth + 1))) return true;
  return e.cause !== undefined && isUnavailable(e.cause, depth + 1);
}

/** Any error a route or Fastify throws, as the catalogue's answer: a 5xx never says more than its code. */
export function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  if (error.validation) {
    const v = error.validation[0];
    const params = (v?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
    const path = (v?.instancePath ?? '').split('/').filter(Boolean)[0];
    const field =
      params.missingProperty ?? params.additionalProperty ?? path ?? error.validationContext ?? 'body';
    const message = params.additionalProperty
      ? `unknown field ${field}`
      : `${field} ${v?.message ?? 'is invalid'}`;
    // A field name is the client's own text: a token sent as a name is not echoed back.
    return new ApiError('invalid_request', scrub(message).slice(0, 300), scrub(field).slice(0, 100));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError('payload_too_large', 'body too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError('unsupported_media_type', 'unsupported content type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', 'body is not valid JSON', 'body');
  }
  if (isUnavailable(error))
    return new ApiError('unavailable', 'the database is unavailable; try again shortly');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('invalid_request', 'the request is not valid');
  }
  return new ApiError('internal', 'internal error');
}
