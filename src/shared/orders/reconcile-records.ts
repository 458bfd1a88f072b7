import type { OrderStatus } from '../../generated/prisma/client';
import type { Db } from '../platform/db';
import { addOrderEvent } from './callback-results';
import { fromStatus, target } from './lifecycle';

/**
 * The reconciler's writes. Each applies only if nothing touched the order since the reconciler
 * read it (same status, same updated_at) and the lifecycle allows the change from that status.
 */

/** The order as the reconciler read it. */
export interface ReconciledOrder {
  id: string;
  status: OrderStatus;
  updatedAt: Date;
}

/**
 * Claims a stuck order for a new job, in one transaction: ARCHIVING becomes QUEUED (no job is on
 * it any more; the others keep their status), the outbox mark is set (it covers a Redis failure
 * before the enqueue) and the timeline says why. False when the order changed meanwhile.
 */
export async function claimForRequeue(db: Db, order: ReconciledOrder, jobId: string): Promise<boolean> {
  const to = target('reconcilerRequeued', order.status === 'ARCHIVING' ? 'QUEUED' : order.status);
  return db.$transaction(async (tx) => {
    const moved = await tx.order.updateMany({
      where: { id: order.id, status: fromStatus('reconcilerRequeued', order.status), updatedAt: order.updatedAt },
      data: { status: to, enqueuePending: true },
    });
    if (moved.count === 0) return false;
    await addOrderEvent(tx, order.id, 'reconciled', { action: 'requeued', jobId, previousStatus: order.status });
    return true;
  });
}

/**
 * Marks the order FAILED with its job's last error (the job sits in BullMQ's failed set), then
 * adds the timeline line. False when the order changed meanwhile (nothing written).
 */
export async function markFailedForGood(
  db: Db,
  order: ReconciledOrder,
  jobId: string,
  lastError: string,
): Promise<boolean> {
  const moved = await db.order.updateMany({
    where: { id: order.id, status: fromStatus('reconcilerFailed', order.status), updatedAt: order.updatedAt },
    data: { status: 'FAILED', lastError, enqueuePending: false },
  });
  if (moved.count === 0) return false;
  await addOrderEvent(db, order.id, 'reconciled', {
    action: 'failed',
    jobId,
    previousStatus: order.status,
    error: lastError,
  });
  return true;
}
