import type { Db } from '../platform/db';
import { addOrderEvent } from './callback-results';

/**
 * A front-end error came back for an order (camera refused, browser unsupported, scan
 * interrupted: 1007/114178). The browser's word is never a result, but it says the user is no
 * longer scanning, so the recovery sweeper should ask WeBank now rather than after its quiet
 * period: the order's next lookup is moved to now, one authoritative query as the sweeper would
 * make (it claims the slot before asking). Only a registered order still waiting (EXPECTED) is
 * moved; any other is already on its way (queued, archiving) or settled. The order's timeline
 * gets the code either way.
 */
export async function noteFrontendError(
  db: Db,
  appId: string,
  orderNo: string,
  code: string,
): Promise<'scheduled' | 'known' | 'unknown'> {
  const order = await db.order.findUnique({
    where: { appId_orderNo: { appId, orderNo } },
    select: { id: true, status: true },
  });
  if (!order) return 'unknown';
  // No status change: the same write the sweeper's claim makes, guarded on EXPECTED like it.
  const moved = await db.order.updateMany({
    where: { id: order.id, status: 'EXPECTED' },
    data: { nextSweepAt: new Date() },
  });
  await addOrderEvent(db, order.id, 'frontend_error', {
    code,
    ...(moved.count > 0 ? { lookupScheduled: true } : {}),
  });
  return moved.count > 0 ? 'scheduled' : 'known';
}
