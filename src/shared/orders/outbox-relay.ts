import type { Queue } from 'bullmq';
import type { Db } from '../platform/db';
import type { Product } from '../platform/config';
import { componentLogger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { markEnqueuedMany, pendingOutbox } from './callback-results';
import { PeriodicTask } from '../platform/periodic-task';
import { enqueueArchiveMany, type ArchiveJobData } from './archive-queue';

const log = componentLogger('outbox');

export interface OutboxRelayOptions {
  intervalMs: number;
  /** The configured apps' ids: the relay enqueues only their orders. */
  appIds: readonly string[];
  /** Leave fresh marks to the request that set them, which enqueues within milliseconds. */
  minAgeMs?: number;
  batch?: number;
}

/**
 * Enqueues orders recorded while Redis was unreachable (the transactional outbox).
 * Safe to run in every web and worker replica: job ids are deterministic, so two relays
 * adding the same order produce one job.
 */
export class OutboxRelay {
  private readonly loop: PeriodicTask;
  private failing = false;

  constructor(
    private readonly db: Db,
    private readonly queue: Queue<ArchiveJobData>,
    private readonly opts: OutboxRelayOptions,
    private readonly metrics?: Metrics,
  ) {
    this.loop = new PeriodicTask('outbox relay', () => this.relayOnce(), opts.intervalMs, opts.intervalMs);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: returns how many orders were enqueued. Logs once when Redis goes away and once when it is back. */
  async relayOnce(): Promise<number> {
    const olderThan = new Date(Date.now() - (this.opts.minAgeMs ?? 1000));
    const pending = await pendingOutbox(this.db, this.opts.appIds, olderThan, this.opts.batch ?? 200);
    this.metrics?.outboxBacklog.set(pending.length);
    if (pending.length === 0) return 0;
    try {
      // One round trip for the whole backlog page: after an outage there may be thousands.
      await enqueueArchiveMany(
        this.queue,
        pending.map((o) => ({ appId: o.appId, orderNo: o.orderNo, product: o.product as Product, reason: 'outbox' })),
        { timeoutMs: 2000 },
      );
    } catch (err) {
      if (!this.failing)
        log.warn('outbox relay cannot reach Redis; will retry', {
          error: (err as Error).message,
          backlog: pending.length,
        });
      this.failing = true;
      return 0;
    }
    await markEnqueuedMany(
      this.db,
      pending.map((o) => o.id),
    );
    this.metrics?.outboxRelayed.inc(pending.length);
    log.info('outbox relay enqueued orders', { count: pending.length, recovered: this.failing });
    this.failing = false;
    return pending.length;
  }
}
