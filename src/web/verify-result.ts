import type { Queue } from 'bullmq';
import type { Config, WebankApp } from '../shared/config';
import type { Db } from '../shared/db';
import { componentLogger } from '../shared/logger';
import { markEnqueued, recordRejectedCallback, recordVerifiedResult, type RecordOutcome } from '../shared/orders';
import { enqueueArchive, type ArchiveJobData } from '../shared/queues';
import type { TicketStore } from '../shared/tickets/ticket-store';
import { verifyCallback } from '../shared/webank/signature';

const log = componentLogger('verify');

export interface VerifyDeps {
  cfg: Config;
  db: Db;
  tickets: Pick<TicketStore, 'validAround'>;
  archiveQueue: Queue<ArchiveJobData>;
}

export interface ClaimedResult {
  orderNo: string;
  code: string;
  signature: string;
  h5faceId?: string;
}

export interface Requester {
  clientIp?: string;
  userAgent?: string;
}

export type VerifyOutcome =
  | { verdict: 'unverifiable' }
  | { verdict: 'rejected' }
  | (RecordOutcome & { ticketMatched: string });

/**
 * The one verification path for a result WeBank signed, whether it came by the H5 redirect or
 * from a partner's App SDK: check the signature against the tickets valid around now, record
 * the order, its outbox mark and the event in one transaction, then try to enqueue.
 */
export async function verifyAndRecord(
  deps: VerifyDeps,
  app: WebankApp,
  claim: ClaimedResult,
  channel: 'redirect' | 'app_sdk',
  params: Record<string, string>,
  who: Requester,
): Promise<VerifyOutcome> {
  const { cfg, db } = deps;
  const base = { channel, appId: app.appId, orderNo: claim.orderNo, code: claim.code, params, ...who } as const;
  const tickets = await deps.tickets.validAround(app.appId, new Date(), cfg.TICKET_GRACE_SECONDS);
  if (tickets.length === 0) {
    await recordRejectedCallback(db, { ...base, verdict: 'unverifiable', reason: 'no valid SIGN ticket held' });
    log.error('result cannot be verified: no valid SIGN ticket', { appId: app.appId, channel });
    return { verdict: 'unverifiable' };
  }
  const matched = verifyCallback({ appId: app.appId, orderNo: claim.orderNo, code: claim.code, signature: claim.signature }, tickets);
  if (!matched) {
    await recordRejectedCallback(db, { ...base, verdict: 'rejected', reason: 'signature mismatch' });
    log.warn('result rejected: signature mismatch', { appId: app.appId, orderNo: claim.orderNo, channel });
    return { verdict: 'rejected' };
  }
  const outcome = await recordVerifiedResult(db, {
    ...base, product: app.product, h5faceId: claim.h5faceId, ticketMatched: matched.label,
  });
  if (outcome.verdict === 'conflict') {
    log.warn('second verified result with a different code; first kept', { appId: app.appId, orderNo: claim.orderNo, channel });
  }
  if (outcome.enqueue) await tryEnqueue(deps, app, claim.orderNo, outcome.orderId, channel);
  return { ...outcome, ticketMatched: matched.label };
}

/** Enqueues now if Redis answers quickly; otherwise the outbox relay does it later. */
export async function tryEnqueue(
  deps: Pick<VerifyDeps, 'db' | 'archiveQueue'>,
  app: WebankApp,
  orderNo: string,
  orderId: string,
  reason: string,
): Promise<boolean> {
  try {
    await enqueueArchive(deps.archiveQueue, { appId: app.appId, orderNo, product: app.product, reason }, { timeoutMs: 300 });
  } catch (err) {
    log.warn('enqueue deferred to the outbox relay', { appId: app.appId, orderNo, error: (err as Error).message });
    return false;
  }
  await markEnqueued(deps.db, orderId).catch((err: unknown) => {
    // The job is in Redis; the relay will re-add it harmlessly (same job id) and clear the mark.
    log.warn('could not clear outbox mark', { orderId, error: (err as Error).message });
  });
  return true;
}
