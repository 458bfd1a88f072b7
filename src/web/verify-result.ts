import type { Queue } from 'bullmq';
import type { Config, WebankApp } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { componentLogger } from '../shared/platform/logger';
import { recordRejectedCallback, type RecordOutcome } from '../shared/orders/callback-results';
import type { ArchiveJobData } from '../shared/orders/archive-queue';
import type { CandidateSource } from '../shared/webank/tickets/candidate-cache';
import type { ResultRecorder } from './result-recorder';
import { verifyCallback } from '../shared/webank/signature';
import type { SignTicketRereader } from '../shared/webank/tickets/ticket-reread';

const log = componentLogger('verify');

export interface VerifyDeps {
  cfg: Config;
  db: Db;
  /** The tickets valid around now; `fresh` bypasses any cache (see TicketCandidateCache). */
  tickets: CandidateSource;
  archiveQueue: Queue<ArchiveJobData>;
  /** Records verified results and queues their jobs, batching concurrent requests. */
  recorder: ResultRecorder;
  /**
   * Re-reads the SIGN ticket with the access_token we hold when a signature matches none we hold:
   * WeBank may have rotated it since the keeper's last refresh. Never takes a token, limited per
   * app cluster-wide and per client address (see SignTicketRereader); absent in tests that seed tickets.
   */
  ticketRereader?: Pick<SignTicketRereader, 'reread'>;
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
  { verdict: 'unverifiable' } | { verdict: 'rejected' } | (RecordOutcome & { ticketMatched: string });

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
  const signed = { appId: app.appId, orderNo: claim.orderNo, code: claim.code, signature: claim.signature };
  let tickets = await deps.tickets.validAround(app.appId, new Date(), cfg.TICKET_GRACE_SECONDS);
  let matched = tickets.length > 0 ? verifyCallback(signed, tickets) : undefined;
  if (!matched) {
    // What we read may be a moment older than a rotation another replica just stored.
    tickets = await deps.tickets.validAround(app.appId, new Date(), cfg.TICKET_GRACE_SECONDS, { fresh: true });
    matched = tickets.length > 0 ? verifyCallback(signed, tickets) : undefined;
  }
  if (tickets.length === 0) {
    await recordRejectedCallback(db, { ...base, verdict: 'unverifiable', reason: 'no valid SIGN ticket held' });
    log.error('result cannot be verified: no valid SIGN ticket', { appId: app.appId, channel });
    return { verdict: 'unverifiable' };
  }
  if (!matched && deps.ticketRereader) {
    const reread = await deps.ticketRereader.reread(app.appId, who.clientIp);
    if (reread === 'new') {
      tickets = await deps.tickets.validAround(app.appId, new Date(), cfg.TICKET_GRACE_SECONDS, { fresh: true });
      matched = verifyCallback(signed, tickets);
    } else if (reread === 'failed' || reread === 'no_token') {
      // WeBank's current ticket could not be read: neither accept nor refuse; the browser retries.
      await recordRejectedCallback(db, {
        ...base,
        verdict: 'unverifiable',
        reason: 'signature matched no held ticket and the ticket could not be re-read',
      });
      log.warn('result not verifiable now: ticket re-read failed', { appId: app.appId, channel });
      return { verdict: 'unverifiable' };
    } else if (reread === 'busy') {
      // Nobody has asked WeBank since this gap's re-read was taken (by forgeries, maybe): a genuine
      // redirect signed with a ticket WeBank rotated meanwhile looks exactly like this one. Refusing
      // would lose it for good; "not yet" lets the user's page retry once a re-read is allowed.
      await recordRejectedCallback(db, {
        ...base,
        verdict: 'unverifiable',
        reason: 'signature matched no held ticket; ticket re-read not allowed yet',
      });
      return { verdict: 'unverifiable' };
    }
  }
  if (!matched) {
    await recordRejectedCallback(db, { ...base, verdict: 'rejected', reason: 'signature mismatch' });
    log.warn('result rejected: signature mismatch', { appId: app.appId, orderNo: claim.orderNo, channel });
    return { verdict: 'rejected' };
  }
  const outcome = await deps.recorder.record({
    ...base,
    product: app.product,
    h5faceId: claim.h5faceId,
    ticketMatched: matched.label,
  });
  if (outcome.verdict === 'conflict') {
    log.warn('second verified result with a different code; first kept', {
      appId: app.appId,
      orderNo: claim.orderNo,
      channel,
    });
  }
  if (outcome.enqueue) {
    const job = { appId: app.appId, orderNo: claim.orderNo, product: app.product, reason: channel } as const;
    if (outcome.verdict === 'conflict') await deps.recorder.requeue(job, outcome.orderId);
    else await deps.recorder.enqueue(job, outcome.orderId);
  }
  return { ...outcome, ticketMatched: matched.label };
}
