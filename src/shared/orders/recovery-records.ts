import type { Db } from '../platform/db';
import { addOrderEvent } from './callback-results';
import { fromStatus } from './lifecycle';
import { partnerEventWrite } from './partner-events';

/**
 * The recovery sweeper's writes to registered (EXPECTED) orders. Each applies only while the
 * order is still EXPECTED: a callback that came meanwhile wins, and the sweeper leaves it alone.
 */

interface ExpectedOrder {
  id: string;
}

/**
 * Claims the order's next lookup before it is made (so no crash or restart makes the sweeper ask
 * more often): counts the lookup and sets when the next one is due. False when the order is no
 * longer EXPECTED or another pass claimed this slot.
 */
export async function claimSweepSlot(
  db: Db,
  order: ExpectedOrder & { sweepCount: number },
  nextSweepAt: Date,
): Promise<boolean> {
  const claimed = await db.order.updateMany({
    where: { id: order.id, status: 'EXPECTED', sweepCount: order.sweepCount },
    data: { sweepCount: { increment: 1 }, nextSweepAt },
  });
  return claimed.count > 0;
}

/**
 * Records the result the sweeper found: QUEUED with its outbox mark, recovered now, no more
 * lookups; then the timeline line. False when the browser came back meanwhile (nothing written).
 */
export async function markRecovered(db: Db, order: ExpectedOrder, code: string, bizSeqNo?: string): Promise<boolean> {
  const updated = await db.order.updateMany({
    where: { id: order.id, status: fromStatus('recovered') },
    data: {
      status: 'QUEUED',
      recoveredAt: new Date(),
      enqueuePending: true,
      nextSweepAt: null,
      bizSeqNo: bizSeqNo ?? undefined,
    },
  });
  if (updated.count === 0) return false;
  await addOrderEvent(db, order.id, 'recovered', { code, bizSeqNo: bizSeqNo ?? null });
  return true;
}

/**
 * WeBank's window closed without a result: EXPIRED with its `order.expired` partner event (one
 * transaction), then the timeline line. False when it had moved on.
 */
export async function markExpired(db: Db, order: ExpectedOrder): Promise<boolean> {
  const updated = await db.$transaction(async (tx) => {
    const moved = await tx.order.updateMany({
      where: { id: order.id, status: fromStatus('expired') },
      data: { status: 'EXPIRED', nextSweepAt: null, lastError: "no result within WeBank's retention window" },
    });
    if (moved.count > 0) await partnerEventWrite(tx, order.id, 'order.expired');
    return moved.count;
  });
  if (updated === 0) return false;
  await addOrderEvent(db, order.id, 'expired_without_result');
  return true;
}

export type RegisteredState = 'expected' | 'called_back' | 'recovered' | 'expired';

/**
 * Registered orders by recovery state: still expected, called back by the browser, recovered by
 * the sweeper, or expired without a result.
 */
export async function countRegisteredByState(db: Db): Promise<Record<RegisteredState, number>> {
  const rows = await db.$queryRaw<{ state: string; n: bigint }[]>`
    SELECT CASE
             WHEN status = 'EXPECTED' THEN 'expected'
             WHEN status = 'EXPIRED' THEN 'expired'
             WHEN recovered_at IS NOT NULL THEN 'recovered'
             ELSE 'called_back' END AS state,
           count(*) AS n
    FROM orders WHERE source = 'REGISTRATION' GROUP BY 1`;
  const n = (state: RegisteredState) => Number(rows.find((r) => r.state === state)?.n ?? 0);
  return { expected: n('expected'), called_back: n('called_back'), recovered: n('recovered'), expired: n('expired') };
}
