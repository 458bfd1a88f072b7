import { z } from 'zod';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { badRequest } from '../platform/errors';
import type { Prisma } from '../../generated/prisma/client';
import { dayOrInstant } from '../platform/display-time';
import { decodeCursor, encodeCursor, keysetAfter } from '../platform/keyset';
import { appKeyOf } from './order-lookup';

const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const opt = <T extends z.ZodType>(s: T) => z.preprocess(emptyToUndefined, s.optional());

export const CALLBACK_VERDICTS = ['accepted', 'duplicate', 'conflict', 'rejected', 'invalid', 'unverifiable'] as const;

/** Filters of the callback-attempts view; every one optional. */
export const callbackAttemptSchema = z
  .object({
    /** Exact order number, as the attempt named it: it may never have existed. */
    orderNo: opt(z.string().trim().max(64)),
    verdict: opt(z.enum(CALLBACK_VERDICTS)),
    /** Only attempts not tied to an order (forgeries of unknown numbers, invalid requests). */
    unmatched: opt(z.enum(['1'])),
    clientIp: opt(z.string().trim().max(64)),
    code: opt(z.string().trim().max(32)),
    from: opt(dayOrInstant(false)),
    to: opt(dayOrInstant(true)),
    cursor: opt(z.string().max(200)),
    limit: opt(z.coerce.number().int().min(1).max(200)),
  })
  .refine((f) => !f.from || !f.to || f.from < f.to, { message: '`from` must be before `to`', path: ['from'] });

export type CallbackAttemptSearch = z.infer<typeof callbackAttemptSchema>;

export interface CallbackAttemptRow {
  id: string;
  createdAt: Date;
  appKey: string | null;
  orderNo: string | null;
  orderId: string | null;
  channel: string;
  verdict: string;
  code: string | null;
  reason: string | null;
  ticketMatched: string | null;
  clientIp: string | null;
}

/**
 * Every callback attempt, newest first, keyset-paged on (created_at, id): accepted ones, and the
 * forged, invalid and unverifiable ones, including those naming an order number that never
 * existed (their `order_id` is null). No request parameters are shown: they may carry personal data.
 */
export async function searchCallbackAttempts(
  db: Db,
  cfg: Config,
  f: CallbackAttemptSearch,
): Promise<{ rows: CallbackAttemptRow[]; nextCursor?: string; total: number }> {
  const limit = f.limit ?? 50;
  const and: Prisma.CallbackEventWhereInput[] = [];
  if (f.orderNo) and.push({ orderNo: f.orderNo });
  if (f.verdict) and.push({ verdict: f.verdict });
  if (f.unmatched) and.push({ orderId: null });
  if (f.clientIp) and.push({ clientIp: f.clientIp });
  if (f.code) and.push({ code: f.code });
  if (f.from || f.to) and.push({ createdAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) } });
  const where: Prisma.CallbackEventWhereInput = and.length ? { AND: and } : {};
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  if (after && !/^\d{1,19}$/.test(after.id)) throw badRequest('invalid cursor');
  const [found, total] = await Promise.all([
    db.callbackEvent.findMany({
      where: after
        ? { AND: [where, keysetAfter('createdAt', after, (v) => BigInt(v)) as Prisma.CallbackEventWhereInput] }
        : where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      select: {
        id: true,
        createdAt: true,
        appId: true,
        orderNo: true,
        orderId: true,
        channel: true,
        verdict: true,
        code: true,
        reason: true,
        ticketMatched: true,
        clientIp: true,
      },
    }),
    db.callbackEvent.count({ where }),
  ]);
  const rows = found.slice(0, limit).map(({ appId, id, ...r }) => ({
    ...r,
    id: id.toString(),
    appKey: appId ? appKeyOf(cfg, appId) : null,
  }));
  const last = rows[rows.length - 1];
  return { rows, total, nextCursor: found.length > limit && last ? encodeCursor(last.createdAt, last.id) : undefined };
}
