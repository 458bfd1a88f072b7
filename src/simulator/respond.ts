import type { NextFunction, Request, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { cutPoint, plan, planLength, type Piece, type WriteOptions, writePlan } from './body-writer';
import type { FaultInjector, FaultPlan } from './faults';
import type { MediaSource } from './media';
import type { FaultKind, RequestRecord } from './types';

const MALFORMED =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

function noteFault(res: Response, kind: FaultKind): void {
  const record = res.locals.record as RequestRecord | undefined;
  if (record) record.faults = [...(record.faults ?? []), kind];
}

/**
 * Rolls the fault dice for an /api request: adds latency, hangs (timeout) or answers 503 at once;
 * the faults that need a body (reset, malformed, truncated, bad base64) are left to `sendWebank`.
 * Hanging responses go into `hanging` so closing the simulator can drop them.
 */
export function faultGate(faults: FaultInjector, hanging: Set<Response>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const fault = faults.roll(req.path);
    res.locals.fault = fault;
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.kind === 'timeout') {
      noteFault(res, 'timeout');
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    if (fault.kind === 'http5xx') {
      noteFault(res, 'http5xx');
      res.status(503).type('text/html').send('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
      return;
    }
    next();
  };
}

/** Sends a WeBank JSON answer (HTTP 200, like WeBank), streaming its media and applying body faults. */
export async function sendWebank(
  res: Response,
  body: Record<string, unknown>,
  media: Record<string, MediaSource> = {},
): Promise<void> {
  const record = res.locals.record as RequestRecord | undefined;
  const fault = res.locals.fault as FaultPlan | undefined;
  if (record && typeof body.code === 'string') record.code = body.code;
  let pieces: Piece[] = plan(body, media);
  const opts: WriteOptions = {};
  let length = planLength(pieces);
  if (fault?.invalidBase64 && pieces.some((p) => typeof p !== 'string')) {
    opts.corruptBase64 = true;
    noteFault(res, 'invalidBase64');
  }
  switch (fault?.kind) {
    case 'malformed':
      pieces = [MALFORMED];
      length = planLength(pieces);
      noteFault(res, 'malformed');
      break;
    case 'truncated':
      opts.stopAt = Math.max(1, cutPoint(pieces));
      length = opts.stopAt;
      noteFault(res, 'truncated');
      break;
    case 'reset':
      opts.resetAt = Math.max(1, cutPoint(pieces));
      res.locals.reset = true;
      noteFault(res, 'reset');
      break;
    default:
  }
  res.status(200).set({ 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': String(length) });
  await writePlan(res, pieces, opts);
}
