import type { Queue } from 'bullmq';
import type { Db } from '../platform/db';
import { auditData, type AuditContext } from '../compliance/audit';
import { componentLogger } from '../platform/logger';
import { PRODUCTS, type Product } from '../platform/config';
import { conflict, unavailable } from '../platform/errors';
import { enqueueArchive, type ArchiveJobData } from './archive-queue';
import type { OrderStatus } from '../../generated/prisma/client';
import { orderRef } from '../compliance/order-record';

const log = componentLogger('requeue');

interface RequeueableOrder {
  id: string;
  appId: string;
  orderNo: string;
  product: string;
  status: OrderStatus;
}

/**
 * Puts an order back on the archive queue (e.g. after EVIDENCE_MISSING). The status goes to
 * QUEUED first, because the archiver skips orders in a terminal status; the job gets a fresh
 * generation so a finished job with the same id is not deduplicated. If Redis refuses the job,
 * the status is put back. Purged orders cannot be re-queued. The success is audited here, in the
 * same transaction as the timeline event; callers audit a thrown error.
 */
export async function requeueOrder(
  deps: { db: Db; archiveQueue: Queue<ArchiveJobData> },
  order: RequeueableOrder,
  ctx: AuditContext,
): Promise<{ jobId: string; previousStatus: OrderStatus }> {
  const { db } = deps;
  const ref = orderRef(order);
  if (order.status === 'PURGED') {
    throw conflict('this order was purged by retention; its evidence cannot be archived again');
  }
  const product = (PRODUCTS as readonly string[]).includes(order.product) ? (order.product as Product) : 'faceid';
  const generation = Date.now();
  const moved = await db.order.updateMany({
    where: { id: order.id, status: order.status },
    data: { status: 'QUEUED', lastError: null },
  });
  if (moved.count === 0) {
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
    await db.order.updateMany({ where: { id: order.id, status: 'QUEUED' }, data: { status: order.status } });
    log.warn('requeue could not reach the archive queue', { orderId: order.id, error: (err as Error).message });
    throw unavailable('the archive queue is unavailable; try again shortly');
  }
  const detail = { jobId, previousStatus: order.status, by: ctx.actor };
  await db.$transaction([
    db.order.update({ where: { id: order.id }, data: { enqueuedAt: new Date() }, select: { id: true } }),
    db.orderEvent.create({ data: { orderId: order.id, type: 'requeued', detail: detail }, select: { id: true } }),
    db.auditEntry.create({
      data: auditData({
        ...ctx,
        action: 'requeue',
        outcome: 'success',
        order: ref,
        detail: { jobId, previousStatus: order.status },
      }),
      select: { id: true },
    }),
  ]);
  return { jobId, previousStatus: order.status };
}
