import type { Db } from '../platform/db';
import { badRequest } from '../platform/errors';
import { decodeCursor, encodeCursor, keysetAfter } from '../platform/keyset';
import type { Prisma } from '../../generated/prisma/client';
import { eventMessageId } from './deliverer';

/** One line of an endpoint's delivery log (console and CLI): no bodies, no secrets. */
export interface DeliveryLine {
  id: string;
  eventId: string;
  type: string;
  orderNo: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

const bigintId = (v: string) => {
  if (!/^\d{1,19}$/.test(v)) throw badRequest('invalid cursor');
  return BigInt(v);
};

/** An endpoint's deliveries, newest first, keyset-paged on (created_at, id). */
export async function deliveryLog(
  db: Db,
  endpointId: string,
  opts: { status?: string; cursor?: string; limit?: number } = {},
): Promise<{ rows: DeliveryLine[]; nextCursor?: string }> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const base: Prisma.WebhookDeliveryWhereInput = { endpointId, ...(opts.status ? { status: opts.status } : {}) };
  const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const rows = await db.webhookDelivery.findMany({
    where: after
      ? { AND: [base, keysetAfter('createdAt', after, bigintId) as Prisma.WebhookDeliveryWhereInput] }
      : base,
    include: { event: { select: { type: true, order: { select: { orderNo: true } } } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map((d) => ({
      id: d.id.toString(),
      eventId: eventMessageId(d.eventId),
      type: d.event.type,
      orderNo: d.event.order.orderNo,
      status: d.status,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastLatencyMs: d.lastLatencyMs,
      lastError: d.lastError,
      lastAttemptAt: d.lastAttemptAt,
      nextAttemptAt: d.nextAttemptAt,
      deliveredAt: d.deliveredAt,
      createdAt: d.createdAt,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id.toString()) : undefined,
  };
}
