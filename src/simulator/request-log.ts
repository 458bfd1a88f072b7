import type { NextFunction, Request, Response } from 'express';
import { componentLogger } from '../shared/platform/logger';
import type { RequestRecord } from './types';

const log = componentLogger('simulator');

const MAX_RECORDS = 10_000;

/** Flattens Express's parsed query to the first string of each key. */
export function flatQuery(query: Request['query']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && typeof first !== 'object') out[k] = String(first);
  }
  return out;
}

/**
 * What clients asked for, kept in memory (the last 10,000) so tests can assert nonce freshness,
 * signing and retries. Records hold the raw query, secrets included: it is a test double.
 */
export class RequestLog {
  private records: RequestRecord[] = [];

  /** Middleware recording every request it sees; status and code are filled when the answer ends. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const record: RequestRecord = {
        at: new Date(),
        method: req.method,
        path: req.path,
        query: flatQuery(req.query),
        status: 0,
      };
      this.records.push(record);
      if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
      res.locals.record = record;
      let settled = false;
      const settle = (finished: boolean) => {
        if (settled) return;
        settled = true;
        record.status = finished && !res.locals.reset ? res.statusCode : 0;
        // Path, status and code only: the query holds secrets, tickets and signatures.
        log.debug('request', {
          method: record.method,
          path: record.path,
          status: record.status,
          code: record.code,
          faults: record.faults,
        });
      };
      res.once('finish', () => settle(true));
      res.once('close', () => settle(res.writableFinished));
      next();
    };
  }

  list(filter?: { path?: string }): RequestRecord[] {
    return this.records
      .filter((r) => !filter?.path || r.path === filter.path)
      .map((r) => ({ ...r, query: { ...r.query }, ...(r.faults && { faults: [...r.faults] }) }));
  }

  clear(): void {
    this.records = [];
  }
}
