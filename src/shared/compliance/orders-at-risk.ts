import type { Config } from '../platform/config';
import { scopeFilter, type AppScope } from './staff/app-scope';
import type { Db } from '../platform/db';
import { OPEN } from '../orders/lifecycle';
import { countRegisteredByState } from '../orders/recovery-records';

export interface OrderAtRisk {
  id: string;
  appId: string;
  orderNo: string;
  status: string;
  startedAt: Date;
  /** When WeBank deletes the result (start + RECOVERY_WINDOW_HOURS). */
  deadline: Date;
  hoursLeft: number;
  sweepCount: number;
  lastError: string | null;
}

/**
 * Orders still without evidence whose WeBank window (3 days by default) closes within
 * `withinHours`, most urgent first, plus the counts of registered orders by recovery state.
 */
export async function ordersAtRisk(db: Db, cfg: Config, scope: AppScope = null, withinHours = 24, limit = 200) {
  const windowMs = cfg.RECOVERY_WINDOW_HOURS * 3600_000;
  const now = Date.now();
  // started (or first seen) before this instant → deadline within `withinHours`
  const startedBefore = new Date(now - windowMs + withinHours * 3600_000);
  const rows = await db.order.findMany({
    where: {
      status: { in: [...OPEN] },
      ...scopeFilter(scope),
      OR: [{ startedAt: { lte: startedBefore } }, { startedAt: null, createdAt: { lte: startedBefore } }],
    },
    orderBy: { createdAt: 'asc' },
    take: limit,
    select: {
      id: true,
      appId: true,
      orderNo: true,
      status: true,
      startedAt: true,
      createdAt: true,
      sweepCount: true,
      lastError: true,
    },
  });
  const orders: OrderAtRisk[] = rows
    .map((r) => {
      const startedAt = r.startedAt ?? r.createdAt;
      const deadline = new Date(startedAt.getTime() + windowMs);
      return {
        id: r.id,
        appId: r.appId,
        orderNo: r.orderNo,
        status: r.status,
        startedAt,
        deadline,
        hoursLeft: Math.round(((deadline.getTime() - now) / 3600_000) * 10) / 10,
        sweepCount: r.sweepCount,
        lastError: r.lastError,
      };
    })
    .sort((a, b) => a.deadline.getTime() - b.deadline.getTime());
  const registered = await countRegisteredByState(db);
  return { orders, registered };
}
