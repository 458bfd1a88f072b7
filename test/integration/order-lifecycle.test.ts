import type { OrderStatus } from '../../src/generated/prisma/client';
import { createArchiveQueue } from '../../src/shared/orders/archive-queue';
import { recordStep, releaseToQueue, startArchive } from '../../src/shared/orders/archive-records';
import { recordVerifiedResult } from '../../src/shared/orders/callback-results';
import { TransitionRefusedError } from '../../src/shared/orders/lifecycle';
import { claimForRequeue } from '../../src/shared/orders/reconcile-records';
import { moveToQueue } from '../../src/shared/orders/requeue';
import { recordPurge } from '../../src/shared/orders/retention-records';
import { requeueOrder } from '../../src/shared/compliance/staff-requeue';
import { createDb } from '../../src/shared/platform/db';
import { createRedis } from '../../src/shared/platform/redis';
import { testConfig, uid } from '../support/web-harness';

/**
 * The lifecycle's guards in the SQL itself: a write whose order is not in one of its
 * transition's from-statuses matches no row, whatever the caller believed.
 */
describe('order lifecycle in the database', () => {
  const cfg = testConfig();
  const appId = uid('TIDA');
  const db = createDb(cfg.DATABASE_URL, 2);
  const redis = createRedis(cfg.redis, 'producer', 'test-lifecycle');
  const archiveQueue = createArchiveQueue(redis, cfg.QUEUE_PREFIX);
  afterAll(async () => {
    await db.order.deleteMany({ where: { appId } });
    await archiveQueue.obliterate({ force: true }).catch(() => undefined);
    await archiveQueue.close();
    redis.disconnect();
    await db.$disconnect();
  });

  const newOrder = (status: OrderStatus, extra: { lastError?: string; verifiedAt?: Date | null } = {}) =>
    db.order.create({
      data: {
        appId,
        orderNo: uid('o'),
        status,
        source: 'CALLBACK',
        callbackCode: '0',
        verifiedAt: new Date(),
        ...extra,
      },
    });
  const row = (id: string) => db.order.findUniqueOrThrow({ where: { id } });
  const timeline = (orderId: string) => db.orderEvent.findMany({ where: { orderId } });

  test('when a stale job starts an ARCHIVED order, then it is not put back to ARCHIVING', async () => {
    const order = await newOrder('ARCHIVED');
    expect(await startArchive(db, appId, order.orderNo)).toBe('terminal');
    expect(await row(order.id)).toMatchObject({ status: 'ARCHIVED', archiveAttempts: 0 });
    expect(await timeline(order.id)).toEqual([]);
  });

  test('when a stale job records its outcome or its failure over an ARCHIVED order, then nothing is written', async () => {
    const order = await newOrder('ARCHIVED');
    const file = {
      kind: 'video',
      key: 'stale/video.mp4',
      bytes: 3,
      sha256: 'f'.repeat(64),
      contentType: 'video/mp4',
      events: [{ type: 'evidence_stored' }],
    };
    // The outcome of a run whose order another run finished meanwhile, then its failure handling.
    const steps = [
      {
        files: [file],
        fields: { status: 'EVIDENCE_PENDING', lastError: 'missing photo' },
        events: [{ type: 'evidence_pending' }],
      },
      { fields: { status: 'QUEUED', lastError: 'boom' }, events: [{ type: 'archive_retry' }] },
      { fields: { status: 'FAILED', lastError: 'boom' }, events: [{ type: 'archive_gave_up' }] },
    ];
    for (const step of steps) {
      const refused = await recordStep(db, order.id, step).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TransitionRefusedError);
      expect(refused).toMatchObject({ from: 'ARCHIVED', to: step.fields.status });
    }
    expect(await row(order.id)).toMatchObject({ status: 'ARCHIVED', lastError: null });
    expect(await db.evidence.count({ where: { orderId: order.id } })).toBe(0);
    expect(await timeline(order.id)).toEqual([]);
  });

  test('when a duplicate run finishes an ARCHIVED order again, then its rows (the objects it overwrote) are recorded', async () => {
    const order = await newOrder('ARCHIVED');
    const file = {
      kind: 'photo',
      key: 'dup/photo.jpg',
      bytes: 4,
      sha256: 'a'.repeat(64),
      contentType: 'image/jpeg',
      events: [{ type: 'evidence_stored' }],
    };
    await recordStep(db, order.id, { files: [file], fields: { status: 'ARCHIVED' }, events: [{ type: 'archived' }] });
    expect(await row(order.id)).toMatchObject({ status: 'ARCHIVED' });
    expect(await db.evidence.findMany({ where: { orderId: order.id } })).toEqual([
      expect.objectContaining({ kind: 'photo', key: 'dup/photo.jpg', sha256: 'a'.repeat(64) }),
    ]);
  });

  test('when an order is open, then the same steps are written', async () => {
    const order = await newOrder('ARCHIVING');
    await recordStep(db, order.id, { fields: { status: 'QUEUED', lastError: 'boom' }, events: [{ type: 'r' }] });
    expect(await row(order.id)).toMatchObject({ status: 'QUEUED', lastError: 'boom' });
  });

  test('when a worker shutting down releases its job, then only an ARCHIVING order goes back to QUEUED', async () => {
    const running = await newOrder('ARCHIVING');
    const finished = await newOrder('ARCHIVED');
    await releaseToQueue(db, running.id);
    await releaseToQueue(db, finished.id);
    expect(await row(running.id)).toMatchObject({ status: 'QUEUED' });
    expect((await timeline(running.id)).map((e) => e.type)).toEqual(['archive_released']);
    expect(await row(finished.id)).toMatchObject({ status: 'ARCHIVED' });
  });

  test('when a PURGED order is re-queued, then the statement refuses it and the staff action is refused', async () => {
    const purged = await newOrder('PURGED');
    // The statement alone, told the order is PURGED: the lifecycle's from-statuses keep it out.
    expect(await moveToQueue(db, { id: purged.id, status: 'PURGED' })).toBe(false);
    expect(await row(purged.id)).toMatchObject({ status: 'PURGED' });

    const ctx = { actor: 'test:lifecycle' };
    await expect(requeueOrder({ db, archiveQueue }, purged, ctx)).rejects.toMatchObject({ status: 409 });
    // A console page loaded before retention purged the order still says FAILED.
    await expect(requeueOrder({ db, archiveQueue }, { ...purged, status: 'FAILED' }, ctx)).rejects.toMatchObject({
      status: 409,
    });
    expect(await row(purged.id)).toMatchObject({ status: 'PURGED' });
    expect(await timeline(purged.id)).toEqual([]);
    expect(await db.auditEntry.count({ where: { orderId: purged.id } })).toBe(0);
    expect(await archiveQueue.getJobs(['waiting', 'delayed'])).toEqual([]);
  });

  test('when retention meets an order that is not finished, then it is not purged', async () => {
    const order = await newOrder('QUEUED', { lastError: 'x' });
    const purged = await recordPurge(db, {
      order: { id: order.id, status: 'QUEUED' },
      rows: [],
      purgedAt: new Date(),
      reason: 'retention: 1 days',
      detail: {},
    });
    expect(purged).toBe(false);
    expect(await row(order.id)).toMatchObject({ status: 'QUEUED', purgedAt: null });
    expect(await timeline(order.id)).toEqual([]);
  });

  test('when the reconciler is handed a finished order, then it is stopped before anything is written', async () => {
    const order = await newOrder('FAILED');
    await expect(claimForRequeue(db, order, 'job-1')).rejects.toThrow(/does not lead to FAILED/);
    const archived = await newOrder('ARCHIVED');
    await expect(claimForRequeue(db, archived, 'job-1')).rejects.toThrow(/does not lead to ARCHIVED/);
    expect(await row(order.id)).toMatchObject({ status: 'FAILED', enqueuePending: false });
    expect(await row(archived.id)).toMatchObject({ status: 'ARCHIVED', enqueuePending: false });
  });

  test('when a verified callback comes for a purged registration, then it is noted late and nothing is queued', async () => {
    const order = await newOrder('PURGED', { verifiedAt: null });
    const outcome = await recordVerifiedResult(db, {
      appId,
      orderNo: order.orderNo,
      product: 'faceid',
      code: '0',
      channel: 'redirect',
      ticketMatched: 'current',
      params: {},
    });
    expect(outcome).toMatchObject({ verdict: 'late', enqueue: false });
    expect(await row(order.id)).toMatchObject({ status: 'PURGED', enqueuePending: false });
  });
});
