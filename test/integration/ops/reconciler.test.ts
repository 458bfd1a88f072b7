import { Worker } from 'bullmq';
import { createDb } from '../../../src/shared/platform/db';
import { createMetrics } from '../../../src/shared/platform/metrics';
import {
  ARCHIVE_QUEUE,
  archiveJobId,
  createArchiveQueue,
  enqueueArchive,
} from '../../../src/shared/orders/archive-queue';
import { createRedis } from '../../../src/shared/platform/redis';
import { Reconciler } from '../../../src/workers/reconciler';
import type { OrderStatus } from '../../../src/generated/prisma/client';
import { eventually } from '../../support/pipeline';
import { testConfig, uid } from '../../support/web-harness';

describe('reconciler', () => {
  const cfg = testConfig();
  const appId = cfg.WEBANK_APP_ID;
  const db = createDb(cfg.DATABASE_URL, 2);
  const redis = createRedis(cfg.redis, 'producer', 'test-reconciler');
  const workerRedis = createRedis(cfg.redis, 'worker', 'test-reconciler-worker');
  const queue = createArchiveQueue(redis, cfg.QUEUE_PREFIX, { backoffMs: 100 });
  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
    workerRedis.disconnect();
    await db.$disconnect();
  });

  const data = (orderNo: string) => ({ appId, orderNo, product: 'faceid' as const, reason: 'test' });
  const order = (orderNo: string, status: OrderStatus, extra: { enqueuePending?: boolean; enqueuedAt?: Date } = {}) =>
    db.order.create({
      data: { appId, orderNo, status, source: 'CALLBACK', callbackCode: '0', verifiedAt: new Date(), ...extra },
    });
  const jobsOf = async (orderNo: string) =>
    (await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter(
      (j) => j.data.orderNo === orderNo,
    );

  test('when orders have no live job, then leftovers and lost jobs are re-enqueued, a job failed for good fails its order, and live or finished orders are left alone', async () => {
    const [leftover, lost, lostAfterDone, failed, delayed, done] = ['lo', 'ls', 'ld', 'fa', 'de', 'dn'].map((p) =>
      uid(p),
    ) as [string, string, string, string, string, string];

    // Finished jobs first, through a real worker: one completed, one failed for good.
    const failedOrder = await order(failed, 'ARCHIVING', { enqueuedAt: new Date(Date.now() - 60_000) });
    await enqueueArchive(queue, data(lostAfterDone));
    await queue.add('archive', data(failed), { jobId: archiveJobId('faceid', appId, failed), attempts: 1 });
    const worker = new Worker(
      ARCHIVE_QUEUE,
      async (job) => {
        if (job.data.orderNo === failed) throw new Error('job stalled more than allowable limit');
        return 'archived';
      },
      { connection: workerRedis, prefix: cfg.QUEUE_PREFIX },
    );
    await eventually(
      async () =>
        (await queue.getJobCounts('completed', 'failed')).failed === 1 &&
        (await queue.getJobCounts('completed')).completed === 1,
    );
    await worker.close();

    // An outbox mark never relayed; an enqueued job Redis lost; a re-queue whose new job Redis
    // lost while the first job's id is still kept as completed.
    const leftoverOrder = await order(leftover, 'QUEUED', { enqueuePending: true });
    const lostOrder = await order(lost, 'EVIDENCE_PENDING', { enqueuedAt: new Date() });
    const lostAfterDoneOrder = await order(lostAfterDone, 'QUEUED', { enqueuedAt: new Date() });
    // Left alone: a retry waiting in the delayed set, and a finished order.
    const delayedOrder = await order(delayed, 'EVIDENCE_PENDING', { enqueuedAt: new Date() });
    await queue.add('archive', data(delayed), { jobId: archiveJobId('faceid', appId, delayed), delay: 60_000 });
    const doneOrder = await order(done, 'ARCHIVED');

    const metrics = createMetrics();
    const reconciler = new Reconciler({ cfg, db, redis, queue, metrics, stuckMs: 0 });
    const report = await reconciler.reconcileAsLeader();
    expect(report).toEqual({ checked: 5, requeued: 3, failed: 1 });

    const after = async (id: string) => db.order.findUniqueOrThrow({ where: { id }, include: { timeline: true } });
    // The leftover and the lost job get the plain job id (Redis has never heard of it)...
    for (const [o, orderNo] of [
      [leftoverOrder, leftover],
      [lostOrder, lost],
    ] as const) {
      const jobs = await jobsOf(orderNo);
      expect(jobs.map((j) => [j.id, j.data.reason])).toEqual([[archiveJobId('faceid', appId, orderNo), 'reconciler']]);
      expect(await jobs[0]!.getState()).toBe('waiting');
      const row = await after(o.id);
      expect(row).toMatchObject({ enqueuePending: false, status: o.status });
      expect(row.timeline.map((e) => e.type)).toEqual(['reconciled']);
    }
    // ...the one whose plain id is taken by a completed job gets a new generation.
    const regenerated = (await jobsOf(lostAfterDone)).find(
      (j) => j.id !== archiveJobId('faceid', appId, lostAfterDone),
    );
    expect(regenerated?.id).toMatch(new RegExp(`^${archiveJobId('faceid', appId, lostAfterDone)}-r\\d+$`));
    expect(await regenerated!.getState()).toBe('waiting');
    expect((await after(lostAfterDoneOrder.id)).enqueuedAt!.getTime()).toBeGreaterThan(
      lostAfterDoneOrder.enqueuedAt!.getTime(),
    );

    const failedRow = await after(failedOrder.id);
    expect(failedRow.status).toBe('FAILED');
    expect(failedRow.lastError).toContain('job stalled more than allowable limit');
    expect(failedRow.timeline.map((e) => e.detail)).toEqual([
      expect.objectContaining({ action: 'failed', previousStatus: 'ARCHIVING' }),
    ]);

    expect(await after(delayedOrder.id)).toMatchObject({
      status: 'EVIDENCE_PENDING',
      updatedAt: delayedOrder.updatedAt,
    });
    expect(await after(doneOrder.id)).toMatchObject({ status: 'ARCHIVED', updatedAt: doneOrder.updatedAt });
    expect(await jobsOf(done)).toHaveLength(0);

    // Counts as metrics: actions, orders by status (this app's), jobs by state.
    const text = await metrics.registry.metrics();
    expect(text).toContain('faceid_reconciler_actions_total{action="requeued"} 3');
    expect(text).toContain('faceid_reconciler_actions_total{action="failed"} 1');
    expect(text).toContain('faceid_orders{status="FAILED"} 1');
    expect(text).toContain('faceid_orders{status="QUEUED"} 2');
    expect(text).toContain('faceid_orders{status="EVIDENCE_PENDING"} 2');
    expect(text).toContain('faceid_orders{status="PURGED"} 0');
    expect(text).toContain('faceid_archive_queue_jobs{state="waiting"} 3');
    expect(text).toContain('faceid_archive_queue_jobs{state="delayed"} 1');
    expect(text).toContain('faceid_archive_queue_jobs{state="failed"} 1');
    expect(text).not.toMatch(new RegExp([leftover, lost, failed].join('|')));

    // A second pass finds every order with a live job (or finished): nothing more to do.
    expect(await reconciler.reconcileAsLeader()).toEqual({ checked: 4, requeued: 0, failed: 0 });
  });

  test('when two replicas reconcile at once, then one leads and the other clears its gauges', async () => {
    const a = new Reconciler({ cfg, db, redis, queue, metrics: createMetrics(), stuckMs: 0 });
    const bMetrics = createMetrics();
    bMetrics.ordersByState.set({ status: 'QUEUED' }, 7);
    const b = new Reconciler({ cfg, db, redis, queue, metrics: bMetrics, stuckMs: 0 });
    const [ra, rb] = await Promise.all([a.reconcileAsLeader(), b.reconcileAsLeader()]);
    expect([ra, rb].filter((r) => r === undefined)).toHaveLength(1);
    if (rb === undefined)
      expect(await bMetrics.registry.getSingleMetricAsString('faceid_orders')).not.toContain('status=');
  });
});
