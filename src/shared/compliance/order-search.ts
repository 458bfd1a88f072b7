import { z } from 'zod';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { badRequest, forbidden } from '../platform/errors';
import { inScope, scopeFilter, type AppScope } from './staff/app-scope';
import { OrderStatus, type Prisma } from '../../generated/prisma/client';
import { dayInZone, dayOrInstant, parseDayOrInstant } from '../platform/display-time';
import { decodeCursor, encodeCursor, keysetAfter, keysetBefore } from '../platform/keyset';
import { appKeyOf } from './order-lookup';
import { NO_RESULT_CODE, outcomeOf, type Outcome } from './result-codes';

const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const opt = <T extends z.ZodType>(s: T) => z.preprocess(emptyToUndefined, s.optional());

export const OUTCOMES = ['passed', 'failed', 'none'] as const;
export const DATE_RANGES = ['today', '7d', '30d'] as const;

/** Search filters as they arrive in a query string; empty fields are ignored. */
export const orderSearchSchema = z
  .object({
    /** One box: an order-number prefix (any case), a user reference, a bizSeqNo or an h5faceId. */
    q: opt(
      z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : or -, at most 128'),
    ),
    /** Exact order number (kept for links and scripts). */
    orderNo: opt(
      z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64'),
    ),
    app: opt(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'an app key')),
    status: opt(z.enum(Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]])),
    outcome: opt(z.enum(OUTCOMES)),
    resultCode: opt(
      z
        .string()
        .trim()
        .regex(/^-?[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -'),
    ),
    /** A date shortcut in the display zone; `from`/`to` win when given. */
    range: opt(z.enum(DATE_RANGES)),
    from: opt(dayOrInstant(false)),
    to: opt(dayOrInstant(true)),
    cursor: opt(z.string().max(200)),
    /** The previous page: rows newer than this cursor. */
    before: opt(z.string().max(200)),
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
  outcome: Outcome;
  resultCode: string | null;
  callbackCode: string | null;
  createdAt: Date;
  verifiedAt: Date | null;
  archivedAt: Date | null;
}

export interface OrderPage {
  rows: OrderRow[];
  /** Older rows follow (the next page). */
  nextCursor?: string;
  /** Newer rows precede (the previous page). */
  prevCursor?: string;
  /** Orders matching the filters, all pages. */
  total: number;
}

/** The `from` of a date shortcut: the start of today, or of the day 6 / 29 days before, in the display zone. */
export function rangeStart(range: (typeof DATE_RANGES)[number], now = new Date()): Date {
  const back = range === 'today' ? 0 : range === '7d' ? -6 : -29;
  return parseDayOrInstant(dayInZone(back, now))!;
}

/** OCR orders whose code is 0 but a side was not recognised: failed, not passed. */
const OCR_SIDE_FAILED: Prisma.OrderWhereInput = {
  product: 'ocr',
  OR: [{ details: { path: ['frontCode'], not: '0' } }, { details: { path: ['backCode'], not: '0' } }],
};

function outcomeWhere(outcome: Outcome): Prisma.OrderWhereInput {
  if (outcome === 'none') return { OR: [{ resultCode: null }, { resultCode: NO_RESULT_CODE }] };
  if (outcome === 'passed') return { resultCode: '0', NOT: OCR_SIDE_FAILED };
  return { OR: [{ resultCode: { notIn: ['0', NO_RESULT_CODE] } }, { resultCode: '0', ...OCR_SIDE_FAILED }] };
}

/**
 * The filters as a Prisma where-clause (shared by the page, its count and the CSV export), inside
 * the staff member's app scope (null: every app).
 */
export function orderSearchWhere(
  cfg: Config,
  f: OrderSearch,
  scope: AppScope = null,
  now = new Date(),
): Prisma.OrderWhereInput {
  const and: Prisma.OrderWhereInput[] = [];
  const scoped = scopeFilter(scope);
  if (Object.keys(scoped).length > 0) and.push(scoped);
  if (f.q)
    and.push({
      OR: [
        { orderNo: { startsWith: f.q, mode: 'insensitive' } },
        { userRef: f.q },
        { bizSeqNo: f.q },
        { h5faceId: f.q },
      ],
    });
  if (f.orderNo) and.push({ orderNo: f.orderNo });
  if (f.app) {
    const app = cfg.apps.find((a) => a.key === f.app);
    if (!app) throw badRequest(`app: unknown app key; configured: ${cfg.apps.map((a) => a.key).join(', ')}`);
    if (!inScope(scope, app.appId)) throw forbidden('app: outside your scope');
    and.push({ appId: app.appId });
  }
  if (f.status) and.push({ status: f.status });
  if (f.outcome) and.push(outcomeWhere(f.outcome));
  if (f.resultCode) and.push({ resultCode: f.resultCode });
  const from = f.from ?? (f.range ? rangeStart(f.range, now) : undefined);
  if (from || f.to) and.push({ createdAt: { ...(from ? { gte: from } : {}), ...(f.to ? { lt: f.to } : {}) } });
  return and.length === 0 ? {} : { AND: and };
}

const SELECT = {
  id: true,
  appId: true,
  orderNo: true,
  product: true,
  status: true,
  resultCode: true,
  callbackCode: true,
  details: true,
  createdAt: true,
  verifiedAt: true,
  archivedAt: true,
} as const;

type Selected = Prisma.OrderGetPayload<{ select: typeof SELECT }>;

function rowOf(cfg: Config, { details, ...r }: Selected): OrderRow {
  return { ...r, appKey: appKeyOf(cfg, r.appId), outcome: outcomeOf(r.resultCode, details) };
}

function cursorOf(value: string | undefined) {
  if (!value) return undefined;
  const c = decodeCursor(value);
  if (!z.uuid().safeParse(c.id).success) throw badRequest('invalid cursor');
  return c;
}

/**
 * One page of orders, newest first, keyset-paginated on (created_at, id) in both directions, with
 * the total. Each exact filter has an index led by its column then created_at (see the
 * staff_console and console_search migrations). No personal data is selected.
 */
export async function searchOrders(db: Db, cfg: Config, f: OrderSearch, scope: AppScope = null): Promise<OrderPage> {
  const limit = f.limit ?? 50;
  const where = orderSearchWhere(cfg, f, scope);
  const after = cursorOf(f.cursor);
  const before = after ? undefined : cursorOf(f.before);
  const keyset = after
    ? (keysetAfter('createdAt', after, (v) => v) as Prisma.OrderWhereInput)
    : before
      ? (keysetBefore('createdAt', before, (v) => v) as Prisma.OrderWhereInput)
      : undefined;
  const dir = before ? 'asc' : 'desc';
  const [found, total] = await Promise.all([
    db.order.findMany({
      where: keyset ? { AND: [where, keyset] } : where,
      orderBy: [{ createdAt: dir }, { id: dir }],
      take: limit + 1,
      select: SELECT,
    }),
    db.order.count({ where }),
  ]);
  const more = found.length > limit;
  const slice = found.slice(0, limit);
  if (before) slice.reverse();
  const rows = slice.map((r) => rowOf(cfg, r));
  const first = rows[0];
  const last = rows[rows.length - 1];
  // Going forward there is a previous page when we came from one; going back, when more newer rows remain.
  const hasNext = before ? true : more;
  const hasPrev = before ? more : Boolean(after);
  return {
    rows,
    total,
    nextCursor: hasNext && last ? encodeCursor(last.createdAt, last.id) : undefined,
    prevCursor: hasPrev && first ? encodeCursor(first.createdAt, first.id) : undefined,
  };
}

/** Every order matching the filters (at most `max`), newest first, for the CSV export of a list. */
export async function allMatchingOrders(
  db: Db,
  cfg: Config,
  f: OrderSearch,
  scope: AppScope = null,
  max = 10_000,
): Promise<OrderRow[]> {
  const rows = await db.order.findMany({
    where: orderSearchWhere(cfg, f, scope),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: max,
    select: SELECT,
  });
  return rows.map((r) => rowOf(cfg, r));
}
