import { z } from 'zod';
import { appByKey, type Config } from '../platform/config';
import type { Db } from '../platform/db';
import { AppError, badRequest, notFound } from '../platform/errors';
import { assertInScope, scopeFilter, type AppScope } from './staff/app-scope';

export const orderNoSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64');

/**
 * Finds an order by its orderNo, as staff know it. An orderNo is unique per WeBank app only, so
 * when several apps have it the caller must name the app (`--app <key>`).
 */
export async function findOrderByNo(db: Db, cfg: Config, orderNo: string, appKey?: string, scope: AppScope = null) {
  const no = orderNoSchema.safeParse(orderNo);
  if (!no.success) throw badRequest(`orderNo: ${no.error.issues[0]?.message ?? 'invalid'}`);
  let appId: string | undefined;
  if (appKey) {
    const app = appByKey(cfg, appKey);
    if (!app) throw badRequest(`unknown app key; configured: ${cfg.apps.map((a) => a.key).join(', ')}`);
    assertInScope(scope, app);
    appId = app.appId;
  }
  // Outside the scope an order is simply not found, like one that does not exist.
  const orders = await db.order.findMany({
    where: { orderNo: no.data, ...scopeFilter(scope), ...(appId ? { appId } : {}) },
    take: 10,
  });
  if (orders.length === 0) throw notFound(`no order ${no.data}${appKey ? ` in app ${appKey}` : ''}`);
  if (orders.length > 1) {
    const apps = orders.map((o) => cfg.apps.find((a) => a.appId === o.appId)?.key ?? o.appId).sort();
    throw new AppError(
      'ambiguous',
      409,
      `order ${no.data} exists in several apps (${apps.join(', ')}); pass --app <key>`,
    );
  }
  return orders[0]!;
}

/** The configured app key for a WeBank app id (falls back to the id for apps no longer configured). */
export function appKeyOf(cfg: Config, appId: string): string {
  return cfg.apps.find((a) => a.appId === appId)?.key ?? appId;
}
