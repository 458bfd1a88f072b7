import { WebankError, WebankHttpError, WebankProtocolError, WebankTimeoutError } from '../errors';

/** The last refresh failure as health checks report it. */
export interface FailureSummary {
  message: string;
  /** WeBank's `code` when WeBank answered one, else the HTTP status, else absent. */
  code?: string;
  at: Date;
}

export function describeFailure(err: unknown, at = new Date()): FailureSummary {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof WebankError) return { message, code: err.code, at };
  if (err instanceof WebankHttpError) return { message, code: `HTTP ${err.status}`, at };
  return { message, at };
}

/**
 * Log fields for a failed refresh: what an operator needs (WeBank's code and msg, the endpoint,
 * the kind of failure) and nothing secret. Error messages never hold query strings (see errors.ts).
 */
export function failureFields(err: unknown): Record<string, string | number | undefined> {
  const base = {
    error: err instanceof Error ? err.name : 'Error',
    detail: err instanceof Error ? err.message : String(err),
  };
  if (err instanceof WebankError)
    return { ...base, code: err.code, msg: err.msg, path: err.path, bizSeqNo: err.bizSeqNo };
  if (err instanceof WebankHttpError) return { ...base, status: err.status, path: err.path };
  if (err instanceof WebankTimeoutError) return { ...base, path: err.path, phase: err.phase };
  if (err instanceof WebankProtocolError) return { ...base, path: err.path };
  return base;
}
