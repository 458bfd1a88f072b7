import type { Queue } from 'bullmq';
import { Batcher, ItemFailed } from '../shared/platform/batcher';
import type { Db } from '../shared/platform/db';
import { componentLogger } from '../shared/platform/logger';
import {
  markEnqueuedMany,
  recordVerifiedResult,
  recordVerifiedResults,
  type RecordOutcome,
  type VerifiedResult,
} from '../shared/orders/callback-results';
import { enqueueArchive, enqueueArchiveMany, type ArchiveJobData } from '../shared/orders/archive-queue';

const log = componentLogger('verify');

export interface ResultRecorderOptions {
  /** Largest batch per statement or pipeline. */
  maxBatch?: number;
  /** Batches in flight at once per kind (default 1: while one is in flight the next grows, which costs the least CPU per callback). */
  maxConcurrent?: number;
  /** How long a callback waits for Redis before leaving its job to the outbox relay. */
  enqueueTimeoutMs?: number;
}

/**
 * Where the web records verified results and queues their archive jobs. Concurrent callbacks
 * share round trips (see Batcher): one INSERT for the new orders with their events and outbox
 * marks, one addBulk for their jobs, one UPDATE clearing the marks. Each request still waits for
 * its own order to be committed and its own job to be in Redis (or left to the outbox relay);
 * the marks are cleared after the answer.
 */
export class ResultRecorder {
  private readonly records: Batcher<VerifiedResult, RecordOutcome>;
  private readonly enqueues: Batcher<{ job: ArchiveJobData; orderId: string }, boolean>;
  private readonly marks: Batcher<string, undefined>;

  constructor(
    db: Db,
    private readonly queue: Queue<ArchiveJobData>,
    opts: ResultRecorderOptions = {},
  ) {
    const batching = { maxBatch: opts.maxBatch ?? 100, maxConcurrent: opts.maxConcurrent ?? 1 };
    this.records = new Batcher(async (items) => {
      try {
        return await recordVerifiedResults(db, items);
      } catch (err) {
        if (items.length === 1) throw err;
        // One bad row or a dropped connection must not fail the others: each on its own.
        log.warn('batched recording failed; recording one by one', {
          count: items.length,
          error: (err as Error).message,
        });
        const out: (RecordOutcome | ItemFailed)[] = [];
        for (const item of items)
          out.push(await recordVerifiedResult(db, item).catch((e: unknown) => new ItemFailed(e)));
        return out;
      }
    }, batching);
    this.enqueues = new Batcher(async (items) => {
      try {
        await enqueueArchiveMany(
          queue,
          items.map((i) => i.job),
          { timeoutMs: opts.enqueueTimeoutMs ?? 300 },
        );
      } catch (err) {
        log.warn('enqueue deferred to the outbox relay', { count: items.length, error: (err as Error).message });
        return items.map(() => false);
      }
      // The browser need not wait for this: a mark left set only makes the relay re-add the job,
      // which the job id turns into a no-op.
      for (const i of items) void this.marks.submit(i.orderId);
      return items.map(() => true);
    }, batching);
    this.marks = new Batcher(
      async (ids) => {
        await markEnqueuedMany(db, ids).catch((err: unknown) => {
          log.warn('could not clear outbox marks; the relay will', {
            count: ids.length,
            error: (err as Error).message,
          });
        });
        return ids.map(() => undefined);
      },
      { maxBatch: 500, maxConcurrent: 1 },
    );
  }

  /** Records one verified result (order, outbox mark and event, atomically). */
  record(r: VerifiedResult): Promise<RecordOutcome> {
    return this.records.submit(r);
  }

  /** Queues the order's archive job now if Redis answers quickly; false leaves it to the outbox relay. */
  enqueue(job: ArchiveJobData, orderId: string): Promise<boolean> {
    return this.enqueues.submit({ job, orderId });
  }

  /**
   * Queues a finished order again (a conflicting redirect re-opened it): a new job generation, as
   * the first job's id is still known to BullMQ. On failure the reconciler finds the order queued
   * without a live job and enqueues it.
   */
  async requeue(job: ArchiveJobData, orderId: string): Promise<boolean> {
    try {
      await enqueueArchive(this.queue, job, { generation: Date.now(), timeoutMs: 1000 });
    } catch (err) {
      log.warn('re-queue deferred to the reconciler', { error: (err as Error).message });
      return false;
    }
    void this.marks.submit(orderId);
    return true;
  }

  /** Waits for every batch in flight (graceful shutdown). */
  async drain(): Promise<void> {
    await this.records.drain();
    await this.enqueues.drain();
    await this.marks.drain();
  }
}
