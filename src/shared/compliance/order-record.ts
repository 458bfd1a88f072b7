import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../platform/db';
import { notFound } from '../platform/errors';

/** Verdicts of results WeBank signed: always listed, however many refused attempts surround them. */
export const VERIFIED_VERDICTS = ['accepted', 'duplicate', 'conflict', 'late'];
/** At most this many verified events (page refreshes repeat them), oldest first. */
const MAX_VERIFIED = 500;
/** Of the refused ones (rejected, invalid, unverifiable), the newest this many; the rest are counted. */
const MAX_REFUSED = 100;

/** Per verdict: rows recorded, attempts they stand for (rows fold repeats), rows listed. */
export interface CallbackEventCount {
  verdict: string;
  events: number;
  attempts: number;
  shown: number;
}

/**
 * An order with everything staff look at: its callback events (including those recorded before
 * the order existed, found by app and orderNo), its archive timeline and its evidence rows.
 * Anyone can send forged callbacks for an order number, so the list is built so that they cannot
 * push the genuine ones out: every verified event, plus the newest refused ones, and
 * `eventCounts` saying how many of each verdict there are in all.
 */
export async function loadOrderRecord(db: Db, id: string) {
  const order = await db.order.findUnique({
    where: { id },
    include: { timeline: { orderBy: { id: 'asc' } }, evidence: { orderBy: { kind: 'asc' } } },
  });
  if (!order) throw notFound('no such order');
  const match: Prisma.CallbackEventWhereInput = {
    OR: [{ orderId: order.id }, { appId: order.appId, orderNo: order.orderNo }],
  };
  const [verified, refused, groups] = await Promise.all([
    db.callbackEvent.findMany({
      where: { AND: [match, { verdict: { in: VERIFIED_VERDICTS } }] },
      orderBy: { id: 'asc' },
      take: MAX_VERIFIED,
    }),
    db.callbackEvent.findMany({
      where: { AND: [match, { verdict: { notIn: VERIFIED_VERDICTS } }] },
      orderBy: { id: 'desc' },
      take: MAX_REFUSED,
    }),
    db.callbackEvent.groupBy({
      by: ['verdict'],
      where: match,
      _count: { _all: true },
      _sum: { repeatCount: true },
    }),
  ]);
  const events = [...verified, ...refused].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const eventCounts: CallbackEventCount[] = groups
    .map((g) => ({
      verdict: g.verdict,
      events: g._count._all,
      attempts: g._sum.repeatCount ?? g._count._all,
      shown: events.filter((e) => e.verdict === g.verdict).length,
    }))
    .sort((a, b) => a.verdict.localeCompare(b.verdict));
  return { ...order, events, eventCounts };
}

export type OrderRecord = Awaited<ReturnType<typeof loadOrderRecord>>;

/** The audit trail's reference to an order. */
export const orderRef = (o: { id: string; appId: string; orderNo: string }) => ({
  id: o.id,
  appId: o.appId,
  orderNo: o.orderNo,
});
