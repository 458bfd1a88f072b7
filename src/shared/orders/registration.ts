import type { Config, Product, WebankApp } from '../platform/config';
import type { Db } from '../platform/db';

export interface Registration {
  orderNo: string;
  product?: Product;
  userRef?: string;
  startedAt?: Date;
}

/** How far ahead of our clock a partner's `startedAt` may be (clock skew between the two machines). */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Why a registration cannot be taken as given, or undefined. The product is the app's (a WBappid
 * is contracted for one product: another would make the sweeper query the wrong endpoint), and
 * `startedAt` must lie in the recent past: an old one (1970) would let the sweeper expire the
 * order at once without asking WeBank, one in the future would keep it from ever asking.
 */
export function registrationProblem(
  cfg: Config,
  app: WebankApp,
  r: Registration,
  now = Date.now(),
): string | undefined {
  if (r.product !== undefined && r.product !== app.product)
    return `product must be the app's own (${app.product}) or left out`;
  if (r.startedAt !== undefined) {
    const t = r.startedAt.getTime();
    const maxAgeHours = Math.min(cfg.REGISTRATION_MAX_AGE_HOURS, cfg.RECOVERY_WINDOW_HOURS / 2);
    if (Number.isNaN(t)) return 'startedAt is not a date';
    if (t > now + MAX_CLOCK_SKEW_MS) return 'startedAt must not be in the future';
    if (t < now - maxAgeHours * 3600_000) return `startedAt must be within the last ${maxAgeHours} hours`;
  }
  return undefined;
}

/**
 * Registers an order the partner's backend started, before the user goes to WeBank, so the
 * recovery sweeper can find its result if the browser never comes back. Idempotent on
 * app + orderNo: a second registration (or one after the callback) changes nothing. The order
 * always gets the app's product. What a partner sends is checked first (`registrationProblem`);
 * staff backfilling older orders from the CLI may give any `startedAt`.
 */
export async function registerExpectedOrder(db: Db, cfg: Config, app: WebankApp, r: Registration) {
  const startedAt = r.startedAt ?? new Date();
  const nextSweepAt = new Date(startedAt.getTime() + cfg.RECOVERY_QUIET_MINUTES * 60_000);
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO orders (id, app_id, order_no, product, status, source, user_ref, started_at, next_sweep_at, created_at, updated_at)
    VALUES (gen_random_uuid(), ${app.appId}, ${r.orderNo}, ${app.product}, 'EXPECTED', 'REGISTRATION',
            ${r.userRef ?? null}, ${startedAt}, ${nextSweepAt}, now(), now())
    ON CONFLICT (app_id, order_no) DO NOTHING
    RETURNING id`;
  const order = await db.order.findUniqueOrThrow({
    where: { appId_orderNo: { appId: app.appId, orderNo: r.orderNo } },
    select: { id: true, orderNo: true, status: true, product: true },
  });
  return { created: inserted.length > 0, order };
}
