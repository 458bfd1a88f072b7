import type { Queue } from 'bullmq';
import type { Config, WebankApp } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { componentLogger } from '../shared/platform/logger';
import { recordRejectedCallback, type RecordOutcome } from '../shared/orders/callback-results';
import type { ArchiveJobData } from '../shared/orders/archive-queue';
import type { CandidateSource } from '../shared/webank/tickets/candidate-cache';
import type { ResultRecorder } from './result-recorder';
import { verifyCallback, type TicketCandidate } from '../shared/webank/signature';

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
   * Asks for a new SIGN ticket when a signature matches none we hold: WeBank signs with the
   * ticket current at WeBank, which may be newer than ours (another system refreshed it, or ours
   * expired). Lock-protected and rate-limited by the keeper; absent in tests that seed tickets.
   */
  ticketRefresher?: { refreshNow(appId: string, reason: string): Promise<string> };
}

/** How long a mismatched request may wait for an on-demand ticket refresh before it is refused. */
const REFRESH_WAIT_MS = 8000;

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
  if (!matched && deps.ticketRefresher) {
    const second = await verifyAfterRefresh(deps, app.appId, signed, tickets);
    if (second === 'unknown') {
      // WeBank's current ticket could not be fetched: neither accept nor refuse; the browser retries.
      await recordRejectedCallback(db, {
        ...base,
        verdict: 'unverifiable',
        reason: 'signature matched no held ticket and the refresh failed',
      });
      log.warn('result not verifiable now: ticket refresh failed', {
        appId: app.appId,
        orderNo: claim.orderNo,
        channel,
      });
      return { verdict: 'unverifiable' };
    }
    matched = second;
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
    await deps.recorder.enqueue(
      { appId: app.appId, orderNo: claim.orderNo, product: app.product, reason: channel },
      outcome.orderId,
    );
  }
  return { ...outcome, ticketMatched: matched.label };
}

/**
 * A signature none of our tickets matches: ask for a fresh ticket and check again against any
 * ticket that is new. The keeper refreshes once cluster-wide and not while the ticket is younger
 * than its minimum gap (so forgeries cannot hammer WeBank); within that gap we wait it out and ask
 * again, all bounded by REFRESH_WAIT_MS, because WeBank may have rotated the ticket just after
 * our last refresh and a genuine result must not be refused for that.
 */
async function verifyAfterRefresh(
  deps: VerifyDeps,
  appId: string,
  signed: Parameters<typeof verifyCallback>[0],
  before: TicketCandidate[],
): Promise<TicketCandidate | undefined | 'unknown'> {
  const deadline = Date.now() + REFRESH_WAIT_MS;
  let outcome: string = 'timeout';
  const known = new Set(before.map((t) => t.value));
  while (Date.now() < deadline) {
    outcome = await withDeadline(
      deps.ticketRefresher!.refreshNow(appId, 'callback signature matched no held ticket').catch(() => 'failed'),
      deadline,
    );
    const fresh = (
      await deps.tickets.validAround(appId, new Date(), deps.cfg.TICKET_GRACE_SECONDS, { fresh: true })
    ).filter((t) => !known.has(t.value));
    const matched = fresh.length ? verifyCallback(signed, fresh) : undefined;
    if (matched) return matched;
    // A new ticket that does not match: this signature is not WeBank's. Nothing new because the
    // ticket is too young to replace ('fresh', or 'shared' when another replica's young ticket
    // satisfied it): wait and ask again. A failed or timed-out refresh: we cannot tell (below).
    if (fresh.length > 0) return undefined;
    if (outcome !== 'fresh' && outcome !== 'shared') break;
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
  // No new ticket: refused outright only if WeBank answered (our ticket is its current one).
  return outcome === 'failed' || outcome === 'timeout' ? 'unknown' : undefined;
}

function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    }),
  ]).finally(() => clearTimeout(timer));
}
