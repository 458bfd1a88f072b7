import type { JobType, Queue } from 'bullmq';
import type { RedisClient } from '../shared/platform/redis';
import type { Config, Product } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { componentLogger } from '../shared/platform/logger';
import type { Metrics } from '../shared/platform/metrics';
import { markEnqueued } from '../shared/orders/callback-results';
import { archiveJobId, enqueueArchive, type ArchiveJobData } from '../shared/orders/archive-queue';
import { UNFINISHED } from '../shared/orders/lifecycle';
import { claimForRequeue, markFailedForGood } from '../shared/orders/reconcile-records';
import { LeaderTask } from '../shared/platform/leader-task';
import { OrderStatus } from '../generated/prisma/enums';

const log = componentLogger('reconciler');

/** Where a job that will still run sits in BullMQ. */
const LIVE: JobType[] = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'];

export interface ReconcilerDeps {
  cfg: Config;
  db: Db;
  redis: RedisClient;
  queue: Queue<ArchiveJobData>;
  metrics?: Metrics;
  /** Orders examined per pass, oldest first; default 200. */
  batch?: number;
  /** Overrides RECONCILER_STUCK_MINUTES (tests). */
  stuckMs?: number;
}

export interface ReconcileReport {
  /** Unfinished orders past the stuck threshold that were looked at. */
  checked: number;
  requeued: number;
  failed: number;
}

type Candidate = {
  id: string;
  appId: string;
  orderNo: string;
  product: string;
  status: OrderStatus;
  enqueuedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * Makes PostgreSQL and the queue agree, for the orders of the configured apps. An unfinished
 * order (QUEUED, ARCHIVING, EVIDENCE_PENDING) untouched for RECONCILER_STUCK_MINUTES and without a
 * live job (waiting, active, delayed, prioritized) is either re-enqueued (an outbox leftover, or a
 * job Redis lost) or, when its latest job sits in BullMQ's failed set, moved to FAILED with the
 * job's last error (a job that stalled too often, or whose failure could not be recorded). Each
 * pass also samples orders by status and jobs by state into gauges. One leader at a time (Redis
 * lock); the other replicas clear their gauges so only the leader's sample is exported.
 */
export class Reconciler extends LeaderTask<ReconcileReport> {
  constructor(private readonly deps: ReconcilerDeps) {
    super({
      name: 'reconciler',
      prefix: deps.cfg.QUEUE_PREFIX,
      lock: 'reconciler',
      redis: deps.redis,
      lockTtlMs: 60_000,
      intervalMs: deps.cfg.RECONCILER_INTERVAL_MS,
    });
  }

  protected scheduledPass(): Promise<ReconcileReport | undefined> {
    return this.reconcileAsLeader();
  }

  protected override onFollower(): void {
    this.deps.metrics?.ordersByState.reset();
    this.deps.metrics?.jobsByState.reset();
  }

  /** One pass if no other replica is running one; undefined when another replica leads. */
  reconcileAsLeader(): Promise<ReconcileReport | undefined> {
    return this.asLeader(() => this.reconcileOnce());
  }

  /** Re-enqueues or fails the stuck orders, then samples the gauges. */
  async reconcileOnce(now = new Date()): Promise<ReconcileReport> {
    const { db, cfg } = this.deps;
    const stuckMs = this.deps.stuckMs ?? cfg.RECONCILER_STUCK_MINUTES * 60_000;
    const apps = cfg.apps.map((a) => a.appId);
    const candidates: Candidate[] = await db.order.findMany({
      where: {
        appId: { in: apps },
        status: { in: [...UNFINISHED] },
        updatedAt: { lt: new Date(now.getTime() - stuckMs) },
      },
      orderBy: { updatedAt: 'asc' },
      take: this.deps.batch ?? 200,
      select: {
        id: true,
        appId: true,
        orderNo: true,
        product: true,
        status: true,
        enqueuedAt: true,
        createdAt: true,
        updatedAt: true,
      },
    });
    const report: ReconcileReport = { checked: candidates.length, requeued: 0, failed: 0 };
    if (candidates.length > 0) {
      // Ids only (one script each, atomic), read after the orders: a job that finishes in between
      // makes at worst a needless re-run, which finds its order done and changes nothing.
      const live = byOrder(await this.deps.queue.getRanges(LIVE, 0, -1));
      const failedIds = byOrder(await this.deps.queue.getRanges(['failed'], 0, -1));
      for (const order of candidates) {
        const base = archiveJobId(order.product as Product, order.appId, order.orderNo);
        if (live.has(base)) continue;
        try {
          const failedJob = await this.latestFailedJob(failedIds.get(base));
          const since = (order.enqueuedAt ?? order.createdAt).getTime();
          if (failedJob && (failedJob.finishedOn ?? 0) >= since) {
            if (await this.markFailed(order, failedJob.id, failedJob.failedReason)) report.failed++;
          } else if (await this.requeue(order, base)) {
            report.requeued++;
          }
        } catch (err) {
          log.warn('could not reconcile an order; next pass tries again', {
            orderId: order.id,
            error: (err as Error).message,
          });
        }
      }
      if (report.requeued || report.failed) log.info('reconciler pass', { ...report });
    }
    await this.sample();
    return report;
  }

  private async latestFailedJob(ids: string[] | undefined) {
    let latest: { id: string; finishedOn?: number; failedReason: string } | undefined;
    for (const id of ids ?? []) {
      const job = await this.deps.queue.getJob(id);
      if (!job?.id) continue;
      if (!latest || (job.finishedOn ?? 0) > (latest.finishedOn ?? 0))
        latest = { id: job.id, finishedOn: job.finishedOn, failedReason: job.failedReason };
    }
    return latest;
  }

  /**
   * A new job for the order. The plain id is reused when Redis has never heard of it (so a relay
   * adding it at the same moment makes one job); if a finished job holds that id (completed jobs
   * are kept a day, failed ones two weeks) re-adding it would be a no-op, so a new generation.
   */
  private async requeue(order: Candidate, base: string): Promise<boolean> {
    const { db, queue } = this.deps;
    const known = (await queue.getJobState(base)) !== 'unknown';
    const generation = known ? Date.now() : 0;
    const data: ArchiveJobData = {
      appId: order.appId,
      orderNo: order.orderNo,
      product: order.product as Product,
      reason: 'reconciler',
    };
    const jobId = archiveJobId(data.product, data.appId, data.orderNo, generation);
    // Claim and record first, then enqueue: once the job is in Redis a worker may start at once
    // and must find the order already moved and its timeline already saying why. Only if nothing
    // touched the order meanwhile; ARCHIVING without a job is not true any more. The outbox mark
    // covers a Redis failure between the two.
    if (!(await claimForRequeue(db, order, jobId))) return false;
    await enqueueArchive(queue, data, { generation, timeoutMs: 2000 });
    await markEnqueued(db, order.id);
    this.deps.metrics?.reconcilerActions.inc({ action: 'requeued' });
    log.info('order had no live archive job; re-enqueued', {
      appId: order.appId,
      orderNo: order.orderNo,
      jobId,
      status: order.status,
    });
    return true;
  }

  private async markFailed(order: Candidate, jobId: string, failedReason: string): Promise<boolean> {
    const { db } = this.deps;
    const lastError = `archive job failed for good: ${failedReason || 'no reason recorded'}`.slice(0, 500);
    if (!(await markFailedForGood(db, order, jobId, lastError))) return false;
    this.deps.metrics?.reconcilerActions.inc({ action: 'failed' });
    log.warn('archive job failed for good; order marked FAILED', {
      appId: order.appId,
      orderNo: order.orderNo,
      jobId,
      error: lastError,
    });
    return true;
  }

  /** Orders by status (configured apps) and queue jobs by state, into the gauges. */
  private async sample(): Promise<void> {
    const m = this.deps.metrics;
    if (!m) return;
    const rows = await this.deps.db.order.groupBy({
      by: ['status'],
      where: { appId: { in: this.deps.cfg.apps.map((a) => a.appId) } },
      _count: { _all: true },
    });
    for (const status of Object.values(OrderStatus)) {
      m.ordersByState.set({ status }, rows.find((r) => r.status === status)?._count._all ?? 0);
    }
    const counts = await this.deps.queue.getJobCounts();
    for (const [state, n] of Object.entries(counts)) m.jobsByState.set({ state }, n);
  }
}

/**
 * Job ids grouped by the order's plain job id: `<product>-<appId>-<orderNo>` and its later
 * generations `…-r<n>` (console re-queues, reconciler) all count for that order.
 */
function byOrder(ids: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (key: string, id: string) => {
    const list = out.get(key);
    if (list) list.push(id);
    else out.set(key, [id]);
  };
  for (const id of ids) {
    add(id, id);
    const m = /^(.*)-r\d+$/.exec(id);
    if (m?.[1]) add(m[1], id);
  }
  return out;
}
