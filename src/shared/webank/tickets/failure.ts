import { WebankFailure } from '../errors';

/** The last refresh failure as health checks report it. */
export interface FailureSummary {
  message: string;
  /** WeBank's `code` when WeBank answered one, else the HTTP status, else absent. */
  code?: string;
  at: Date;
}

export function describeFailure(err: unknown, at = new Date()): FailureSummary {
  const message = err instanceof Error ? err.message : String(err);
  const facts = err instanceof WebankFailure ? err.facts() : {};
  if (facts.code !== undefined) return { message, code: facts.code, at };
  if (facts.status !== undefined) return { message, code: `HTTP ${facts.status}`, at };
  return { message, at };
}

/**
 * Log fields for a failed refresh: what an operator needs (WeBank's code and msg, the endpoint,
 * the kind of failure, whether a retry can help) and nothing secret. Error messages never hold
 * query strings (see webank-failure.ts).
 */
export function failureFields(err: unknown): Record<string, string | number | undefined> {
  const base = {
    error: err instanceof Error ? err.name : 'Error',
    detail: err instanceof Error ? err.message : String(err),
  };
  if (!(err instanceof WebankFailure)) return base;
  return { ...base, ...err.facts(), recovery: err.recovery };
}
