import type { OrderStatus, Prisma } from '../../generated/prisma/client';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { badRequest, notFound } from '../platform/errors';
import { encodeCursor, decodeCursor } from '../platform/keyset';
import { recordAudit, type AuditContext } from '../compliance/audit';
import { ORDER_RESULT_INCLUDE, orderResult, type OrderResult } from './order-result';

/**
 * The partner read API's queries. Every read is audited (`partner.read`, actor
 * `partner-token:<id>`), with whether personal data was returned; a read of an order another app
 * owns answers 404 like an unknown one, so a token cannot probe other partners' order numbers.
 */
export interface PartnerReader {
  tokenId: string;
  /** The app ids the token covers. */
  appIds: readonly string[];
  /** The token holds the `pii` scope and asked for personal data. */
  pii: boolean;
  ctx: Omit<AuditContext, 'actor'>;
}

const actorOf = (r: PartnerReader) => `partner-token:${r.tokenId}`;

/** One order by number, in one of the reader's apps (`appIds` narrowed by `?appKey=` by the caller). */
export async function readOrderResult(db: Db, cfg: Config, r: PartnerReader, orderNo: string): Promise<OrderResult> {
  const found = await db.order.findMany({
    where: { orderNo, appId: { in: [...r.appIds] } },
    include: ORDER_RESULT_INCLUDE,
    take: 2,
  });
  if (found.length > 1) throw badRequest('this order number exists in several apps: pass ?appKey=');
  const o = found[0];
  await recordAudit(db, {
    ...r.ctx,
    actor: actorOf(r),
    action: 'partner.read',
    outcome: o ? 'success' : 'failure',
    order: o ? { id: o.id, appId: o.appId, orderNo: o.orderNo } : null,
    target: o ? undefined : `orderNo:${orderNo}`,
    detail: { pii: r.pii && !!o, ...(o ? {} : { error: 'not_found' }) },
  });
  if (!o) throw notFound('no such order');
  return orderResult(cfg, o, { pii: r.pii });
}

export interface ResultListFilter {
  status?: OrderStatus;
  /** Orders changed at or after this time. */
  since?: Date;
  cursor?: string;
  limit?: number;
}

/**
 * Orders changed since a time, oldest change first, keyset-paged on (updated_at, id) so a partner
 * reconciling walks forward page by page; an order that changes again later shows up again later.
 */
export async function listOrderResults(
  db: Db,
  cfg: Config,
  r: PartnerReader,
  f: ResultListFilter,
): Promise<{ orders: OrderResult[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 500);
  const where: Prisma.OrderWhereInput = { appId: { in: [...r.appIds] } };
  if (f.status) where.status = f.status;
  const and: Prisma.OrderWhereInput[] = [];
  if (f.since) and.push({ updatedAt: { gte: f.since } });
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    and.push({ updatedAt: { gte: c.at }, OR: [{ updatedAt: { gt: c.at } }, { id: { gt: c.id } }] });
  }
  const rows = await db.order.findMany({
    where: and.length ? { AND: [where, ...and] } : where,
    include: ORDER_RESULT_INCLUDE,
    orderBy: [{ updatedAt: 'asc' }, { id: 'asc' }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  await recordAudit(db, {
    ...r.ctx,
    actor: actorOf(r),
    action: 'partner.read',
    outcome: 'success',
    target: 'orders',
    detail: {
      pii: r.pii && page.length > 0,
      count: page.length,
      status: f.status ?? null,
      since: f.since?.toISOString() ?? null,
      paged: !!f.cursor,
    },
  });
  return {
    orders: page.map((o) => orderResult(cfg, o, { pii: r.pii })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.updatedAt, last.id) : null,
  };
}
