import type { Config, Product, WebankApp } from '../platform/config';
import type { Db } from '../platform/db';

export interface Registration {
  orderNo: string;
  product?: Product;
  userRef?: string;
  startedAt?: Date;
}

/**
 * Registers an order the partner's backend started, before the user goes to WeBank, so the
 * recovery sweeper can find its result if the browser never comes back. Idempotent on
 * app + orderNo: a second registration (or one after the callback) changes nothing.
 */
export async function registerExpectedOrder(db: Db, cfg: Config, app: WebankApp, r: Registration) {
  const startedAt = r.startedAt ?? new Date();
  const nextSweepAt = new Date(startedAt.getTime() + cfg.RECOVERY_QUIET_MINUTES * 60_000);
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO orders (id, app_id, order_no, product, status, source, user_ref, started_at, next_sweep_at, created_at, updated_at)
    VALUES (gen_random_uuid(), ${app.appId}, ${r.orderNo}, ${r.product ?? app.product}, 'EXPECTED', 'REGISTRATION',
            ${r.userRef ?? null}, ${startedAt}, ${nextSweepAt}, now(), now())
    ON CONFLICT (app_id, order_no) DO NOTHING
    RETURNING id`;
  const order = await db.order.findUniqueOrThrow({
    where: { appId_orderNo: { appId: app.appId, orderNo: r.orderNo } },
    select: { id: true, orderNo: true, status: true, product: true },
  });
  return { created: inserted.length > 0, order };
}
