import { z } from 'zod';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { badRequest, forbidden } from '../platform/errors';
import { inScope, scopeFilter, type AppScope } from './staff/app-scope';
import { OrderStatus, type Prisma } from '../../generated/prisma/client';
import { dayOrInstant } from '../platform/display-time';
import { decodeCursor, encodeCursor, keysetAfter } from '../platform/keyset';
import { appKeyOf, orderNoSchema } from './order-lookup';

const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const opt = <T extends z.ZodType>(s: T) => z.preprocess(emptyToUndefined, s.optional());

/** Search filters as they arrive in a query string; empty fields are ignored. */
export const orderSearchSchema = z
  .object({
    orderNo: opt(orderNoSchema),
    app: opt(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'an app key')),
    status: opt(z.enum(Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]])),
    resultCode: opt(
      z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -'),
    ),
    from: opt(dayOrInstant(false)),
    to: opt(dayOrInstant(true)),
    cursor: opt(z.string().max(200)),
    limit: opt(z.coerce.number().int().min(1).max(100)),
  })
  .refine((f) => !f.from || !f.to || f.from < f.to, { message: '`from` must be before `to`', path: ['from'] });

export type OrderSearch = z.infer<typeof orderSearchSchema>;

export interface OrderRow {
  id: string;
  appKey: string;
  appId: string;
  orderNo: string;
  product: string;
  status: OrderStatus;
  resultCode: string | null;
  callbackCode: string | null;
  createdAt: Date;
  verifiedAt: Date | null;
  archivedAt: Date | null;
}

/**
 * One page of orders, newest first, keyset-paginated on (created_at, id). Each filter has an
 * index led by its column then created_at (see the staff_console migration); orderNo is exact.
 * No personal data is selected.
 */
export async function searchOrders(
  db: Db,
  cfg: Config,
  f: OrderSearch,
  scope: AppScope = null,
): Promise<{ rows: OrderRow[]; nextCursor?: string }> {
  const limit = f.limit ?? 50;
  const where: Prisma.OrderWhereInput = { ...scopeFilter(scope) };
  if (f.orderNo) where.orderNo = f.orderNo;
  if (f.app) {
    const app = cfg.apps.find((a) => a.key === f.app);
    if (!app) throw badRequest(`app: unknown app key; configured: ${cfg.apps.map((a) => a.key).join(', ')}`);
    if (!inScope(scope, app.appId)) throw forbidden('app: outside your scope');
    where.appId = app.appId;
  }
  if (f.status) where.status = f.status;
  if (f.resultCode) where.resultCode = f.resultCode;
  if (f.from || f.to) where.createdAt = { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) };
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  if (after && !z.uuid().safeParse(after.id).success) throw badRequest('invalid cursor');
  const rows = await db.order.findMany({
    where: after ? { AND: [where, keysetAfter('createdAt', after, (v) => v) as Prisma.OrderWhereInput] } : where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: {
      id: true,
      appId: true,
      orderNo: true,
      product: true,
      status: true,
      resultCode: true,
      callbackCode: true,
      createdAt: true,
      verifiedAt: true,
      archivedAt: true,
    },
  });
  const page = rows.slice(0, limit).map((r) => ({ ...r, appKey: appKeyOf(cfg, r.appId) }));
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : undefined };
}
