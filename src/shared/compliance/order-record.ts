import type { Db } from '../platform/db';
import { notFound } from '../platform/errors';

/**
 * An order with everything staff look at: its callback events (accepted, duplicates, and
 * rejected forgeries, including those recorded before the order existed, found by app and
 * orderNo), its archive timeline and its evidence rows.
 */
export async function loadOrderRecord(db: Db, id: string) {
  const order = await db.order.findUnique({
    where: { id },
    include: { timeline: { orderBy: { id: 'asc' } }, evidence: { orderBy: { kind: 'asc' } } },
  });
  if (!order) throw notFound('no such order');
  const events = await db.callbackEvent.findMany({
    where: { OR: [{ orderId: order.id }, { appId: order.appId, orderNo: order.orderNo }] },
    orderBy: { id: 'asc' },
    take: 500,
  });
  return { ...order, events };
}

export type OrderRecord = Awaited<ReturnType<typeof loadOrderRecord>>;

/** The audit trail's reference to an order. */
export const orderRef = (o: { id: string; appId: string; orderNo: string }) => ({
  id: o.id,
  appId: o.appId,
  orderNo: o.orderNo,
});
