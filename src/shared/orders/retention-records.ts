import type { Evidence, OrderStatus, Prisma } from '../../generated/prisma/client';
import type { Db } from '../platform/db';
import type { AlongsideWrite } from './alongside-write';
import { fromStatus } from './lifecycle';

/** What retention removed from an order whose objects are already deleted. */
export interface PurgeRecord {
  /** The order as retention read it: the purge applies only if it is still in that status. */
  order: { id: string; status: OrderStatus };
  /** Its evidence rows, kept as tombstones (key, size, SHA-256). */
  rows: readonly Pick<Evidence, 'kind' | 'key' | 'sha256' | 'bytes'>[];
  purgedAt: Date;
  reason: string;
  /** The `purged` timeline line's detail. */
  detail: Prisma.InputJsonValue;
  alongside?: AlongsideWrite;
}

/**
 * Records a purge in one transaction: the order becomes PURGED with its sealed personal columns
 * cleared, its evidence rows become tombstones, the callback's client IP and user agent (personal
 * data too) are cleared, and the `purged` line and `alongside` are written. False when the order
 * changed meanwhile: then nothing is written.
 */
export async function recordPurge(db: Db, p: PurgeRecord): Promise<boolean> {
  const { order, rows, purgedAt: now, reason } = p;
  return db.$transaction(async (tx) => {
    const moved = await tx.order.updateMany({
      where: { id: order.id, status: fromStatus('purged', order.status) },
      data: { status: 'PURGED', purgedAt: now, idNoSealed: null, nameSealed: null, piiSealed: null },
    });
    if (moved.count === 0) return false;
    if (rows.length) {
      await tx.evidenceTombstone.createMany({
        data: rows.map((r) => ({
          orderId: order.id,
          kind: r.kind,
          key: r.key,
          sha256: r.sha256,
          bytes: r.bytes,
          purgedAt: now,
          reason,
        })),
        skipDuplicates: true,
      });
      await tx.evidence.deleteMany({ where: { orderId: order.id } });
    }
    await tx.callbackEvent.updateMany({ where: { orderId: order.id }, data: { clientIp: null, userAgent: null } });
    await tx.orderEvent.create({ data: { orderId: order.id, type: 'purged', detail: p.detail } });
    if (p.alongside) await p.alongside(tx);
    return true;
  });
}
