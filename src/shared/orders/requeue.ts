import type { Queue } from 'bullmq';
import type { Db } from '../platform/db';
import { componentLogger } from '../platform/logger';
import { PRODUCTS, type Product } from '../platform/config';
import { conflict, unavailable } from '../platform/errors';
import { enqueueArchive, type ArchiveJobData } from './archive-queue';
import type { OrderStatus } from '../../generated/prisma/client';
import type { AlongsideWrite } from './alongside-write';
import { fromStatus, inGroup, target, TRANSITIONS } from './lifecycle';

const log = componentLogger('requeue');

export interface RequeueableOrder {
  id: string;
  appId: string;
  orderNo: string;
  product: string;
  status: OrderStatus;
}

export interface Requeued {
  jobId: string;
  previousStatus: OrderStatus;
}

/**
 * Moves the order to QUEUED (clearing its last error) if it is still in `order.status` and that
 * status may be re-queued; one statement. False when it is not (changed meanwhile, or purged).
 */
export async function moveToQueue(db: Db, order: Pick<RequeueableOrder, 'id' | 'status'>): Promise<boolean> {
  const moved = await db.order.updateMany({
    where: { id: order.id, status: fromStatus('staffRequeued', order.status) },
    data: { status: 'QUEUED', lastError: null },
  });
  return moved.count > 0;
}

/**
 * Puts an order back on the archive queue (e.g. after EVIDENCE_MISSING). The status goes to
 * QUEUED first, because the archiver skips orders in a terminal status; the job gets a fresh
 * generation so a finished job with the same id is not deduplicated. If Redis refuses the job,
 * the status is put back. Purged orders cannot be re-queued. On success the enqueue time, the
 * `requeued` timeline line and `alongside` (the caller's audit entry) are written in one
 * transaction; `by` names who asked, on the timeline.
 */
export async function requeueArchive(
  deps: { db: Db; archiveQueue: Queue<ArchiveJobData> },
  order: RequeueableOrder,
  opts: { by: string; alongside?: AlongsideWrite<[done: Requeued]> },
): Promise<Requeued> {
  const { db } = deps;
  if (!inGroup(TRANSITIONS.staffRequeued.from, order.status)) {
    throw conflict('this order was purged by retention; its evidence cannot be archived again');
  }
  const product = (PRODUCTS as readonly string[]).includes(order.product) ? (order.product as Product) : 'faceid';
  const generation = Date.now();
  if (!(await moveToQueue(db, order))) {
    throw conflict('the order changed meanwhile; reload and try again');
  }
  let jobId: string;
  try {
    jobId = await enqueueArchive(
      deps.archiveQueue,
      { appId: order.appId, orderNo: order.orderNo, product, reason: 'requeue' },
      { generation, timeoutMs: 3000 },
    );
  } catch (err) {
    await db.order.updateMany({
      where: { id: order.id, status: fromStatus('staffRequeueUndone', 'QUEUED') },
      data: { status: target('staffRequeueUndone', order.status) },
    });
    log.warn('requeue could not reach the archive queue', { orderId: order.id, error: (err as Error).message });
    throw unavailable('the archive queue is unavailable; try again shortly');
  }
  const done: Requeued = { jobId, previousStatus: order.status };
  await db.$transaction([
    db.order.update({ where: { id: order.id }, data: { enqueuedAt: new Date() }, select: { id: true } }),
    db.orderEvent.create({
      data: { orderId: order.id, type: 'requeued', detail: { ...done, by: opts.by } },
      select: { id: true },
    }),
    ...(opts.alongside ? [opts.alongside(db, done)] : []),
  ]);
  return done;
}
