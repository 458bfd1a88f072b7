import type { Queue } from 'bullmq';
import type { Db } from '../platform/db';
import type { ArchiveJobData } from '../orders/archive-queue';
import { requeueArchive, type RequeueableOrder, type Requeued } from '../orders/requeue';
import { auditData, type AuditContext } from './audit';
import { orderRef } from './order-record';

/**
 * A staff member puts an order back on the archive queue (console or CLI). The orders concern
 * moves the order and enqueues the job; the success is audited here, in the same transaction as
 * the order's `requeued` timeline line. Callers audit a thrown error.
 */
export async function requeueOrder(
  deps: { db: Db; archiveQueue: Queue<ArchiveJobData> },
  order: RequeueableOrder,
  ctx: AuditContext,
): Promise<Requeued> {
  return requeueArchive(deps, order, {
    by: ctx.actor,
    alongside: (tx, done) =>
      tx.auditEntry.create({
        data: auditData({ ...ctx, action: 'requeue', outcome: 'success', order: orderRef(order), detail: { ...done } }),
        select: { id: true },
      }),
  });
}
