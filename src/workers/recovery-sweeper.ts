import type { Queue } from 'bullmq';
import type { RedisClient } from '../shared/platform/redis';
import { recordAudit } from '../shared/compliance/audit';
import type { Config, Product } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { componentLogger } from '../shared/platform/logger';
import type { Metrics } from '../shared/platform/metrics';
import { addOrderEvent, markEnqueued } from '../shared/orders/callback-results';
import { enqueueArchive, type ArchiveJobData } from '../shared/orders/archive-queue';
import { claimSweepSlot, countRegisteredByState, markExpired, markRecovered } from '../shared/orders/recovery-records';
import { LeaderTask } from '../shared/platform/leader-task';
import type { WebankClient } from '../shared/webank/client';
import { NO_RESULT_CODE, WebankError } from '../shared/webank/errors';
import type { TicketSource } from './archive-evidence';

const log = componentLogger('recovery');

export interface RecoverySweeperDeps {
  cfg: Config;
  db: Db;
  redis: RedisClient;
  webank: Pick<WebankClient, 'queryJson'>;
  tickets: Pick<TicketSource, 'currentTicket'>;
  queue: Queue<ArchiveJobData>;
  metrics?: Metrics;
  /** Orders looked up per pass; the rest wait for the next one, which spreads the load. */
  batch?: number;
  /** Longest gap between two lookups of one order. */
  maxGapMs?: number;
  random?: () => number;
}

/**
 * Finds the results of registered orders whose browser never came back. WeBank keeps a result
 * 3 days and never calls us, so the sweeper asks: first after a quiet period, then on a widening
 * schedule (each order's next lookup is written before it is queried, so no crash or restart
 * makes it ask more often), until the window closes and the order is EXPIRED. One leader at a
 * time, through a Redis lock.
 */
export class RecoverySweeper extends LeaderTask<number> {
  constructor(private readonly deps: RecoverySweeperDeps) {
    super({
      name: 'recovery',
      prefix: deps.cfg.QUEUE_PREFIX,
      lock: 'recovery-sweeper',
      redis: deps.redis,
      lockTtlMs: 60_000,
      intervalMs: deps.cfg.RECOVERY_INTERVAL_MS,
    });
  }

  protected scheduledPass(): Promise<number | undefined> {
    return this.sweepAsLeader();
  }

  /** One pass if no other replica is running one. */
  sweepAsLeader(): Promise<number | undefined> {
    return this.asLeader(() => this.sweepOnce());
  }

  /** Looks up the orders that are due; returns how many were looked at. */
  async sweepOnce(now = new Date()): Promise<number> {
    const { db, cfg } = this.deps;
    const due = await db.order.findMany({
      // Only this deployment's apps: another app's orders have no secret or host here.
      where: { status: 'EXPECTED', nextSweepAt: { lte: now }, appId: { in: cfg.apps.map((a) => a.appId) } },
      orderBy: { nextSweepAt: 'asc' },
      take: this.deps.batch ?? 50,
      select: {
        id: true,
        appId: true,
        orderNo: true,
        product: true,
        startedAt: true,
        createdAt: true,
        sweepCount: true,
      },
    });
    for (const order of due) {
      const windowEnd = (order.startedAt ?? order.createdAt).getTime() + cfg.RECOVERY_WINDOW_HOURS * 3600_000;
      if (now.getTime() >= windowEnd) {
        await this.expire(order);
        continue;
      }
      // Claim the next slot first: whatever happens below, this order is not asked again before it.
      const next = new Date(Math.min(windowEnd, now.getTime() + this.gapMs(order.sweepCount)));
      if (!(await claimSweepSlot(db, order, next))) continue;
      await this.lookUp(order, next);
    }
    await this.reportCounts();
    return due.length;
  }

  /** Quiet period × 2^n, capped, with ±10 % jitter so registered batches do not query in step. */
  private gapMs(sweepCount: number): number {
    const quiet = Math.max(1000, this.deps.cfg.RECOVERY_QUIET_MINUTES * 60_000);
    const base = Math.min(this.deps.maxGapMs ?? 6 * 3600_000, quiet * 2 ** sweepCount);
    return Math.round(base * (0.9 + 0.2 * (this.deps.random ?? Math.random)()));
  }

  private async lookUp(
    order: { id: string; appId: string; orderNo: string; product: string },
    next: Date,
  ): Promise<void> {
    const { db, webank, tickets } = this.deps;
    try {
      const ticket = await tickets.currentTicket(order.appId);
      const answer = await webank.queryJson(order.product as Product, {
        appId: order.appId,
        orderNo: order.orderNo,
        ticket,
      });
      await this.recover(order, answer.code, answer.bizSeqNo);
    } catch (err) {
      const code = err instanceof WebankError ? err.code : undefined;
      if (code === NO_RESULT_CODE) {
        await addOrderEvent(db, order.id, 'recovery_not_yet', { code, nextLookupAt: next.toISOString() });
        return;
      }
      // A result that exists but failed verification is still a result: archive what WeBank has.
      if (err instanceof WebankError && /^6666/.test(err.code)) {
        await this.recover(order, err.code, err.bizSeqNo);
        return;
      }
      log.warn('recovery lookup failed; will try again on schedule', {
        appId: order.appId,
        orderNo: order.orderNo,
        error: (err as Error).message,
      });
      await addOrderEvent(db, order.id, 'recovery_error', {
        error: (err as Error).message.slice(0, 300),
        nextLookupAt: next.toISOString(),
      });
    }
  }

  /** Records the order as recovered (no callback) and queues it through the same archive path. */
  private async recover(
    order: { id: string; appId: string; orderNo: string; product: string },
    code: string,
    bizSeqNo?: string,
  ) {
    const { db, queue } = this.deps;
    if (!(await markRecovered(db, order, code, bizSeqNo))) return; // the browser came back meanwhile
    await recordAudit(db, {
      actor: 'system:recovery-sweeper',
      action: 'recover',
      outcome: 'success',
      order: { id: order.id, appId: order.appId, orderNo: order.orderNo },
      detail: { code },
    });
    log.info('order recovered without a callback', { appId: order.appId, orderNo: order.orderNo, code });
    try {
      await enqueueArchive(
        queue,
        { appId: order.appId, orderNo: order.orderNo, product: order.product as Product, reason: 'recovery' },
        { timeoutMs: 1000 },
      );
      await markEnqueued(db, order.id);
    } catch {
      // The outbox relay enqueues it once Redis answers.
    }
  }

  private async expire(order: { id: string; appId: string; orderNo: string }): Promise<void> {
    const { db } = this.deps;
    if (!(await markExpired(db, order))) return;
    await recordAudit(db, {
      actor: 'system:recovery-sweeper',
      action: 'expire',
      outcome: 'success',
      order: { id: order.id, appId: order.appId, orderNo: order.orderNo },
    });
    log.warn('registered order expired without a result', { appId: order.appId, orderNo: order.orderNo });
  }

  private async reportCounts(): Promise<void> {
    const m = this.deps.metrics;
    if (!m) return;
    const counts = await countRegisteredByState(this.deps.db);
    for (const [state, n] of Object.entries(counts)) m.recoveryOrders.set({ state }, n);
  }
}
