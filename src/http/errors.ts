// How errors reach the wire: every error response is `{error, message, field?}`; a 5xx never carries
// the underlying message. The codes themselves are catalogued in ../errors.ts.
import { ERROR_STATUS, type ErrorCode, type Failure } from '../errors.js';

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  field?: string;
}

/** Thrown by hooks and handlers to answer with a catalogued error. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  body(): ErrorBody {
    return this.field
      ? { error: this.code, message: this.message, field: this.field }
      : { error: this.code, message: this.message };
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
