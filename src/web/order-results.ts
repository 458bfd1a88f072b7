import type { Request, Router } from 'express';
import { z } from 'zod';
import type { OrderStatus } from '../generated/prisma/client';
import { ORDER_STATUSES } from '../shared/orders/lifecycle';
import { listOrderResults, readOrderResult, type PartnerReader } from '../shared/partners/order-reads';
import { forbidden, notFound } from '../shared/platform/errors';
import { appByKey } from '../shared/platform/config';
import { dayOrInstant } from '../shared/platform/display-time';
import type { PartnerPrincipal } from './auth/principal';
import { requestContext } from './auth/principal';
import type { Config } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { parse } from './partner-api';

const readQuery = z
  .object({
    appKey: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/)
      .optional(),
    /** `?pii=1`: ask for personal fields (needs the token's `pii` scope). */
    pii: z.enum(['0', '1', 'true', 'false']).optional(),
  })
  .strict();
const listQuery = readQuery
  .extend({
    status: z.enum(ORDER_STATUSES as [OrderStatus, ...OrderStatus[]]).optional(),
    since: dayOrInstant(false).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

const orderNo = z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'letters and digits, at most 32');

/**
 * The partner read API: `GET /api/orders/:orderNo` (one order's authoritative outcome) and
 * `GET /api/orders?status=&since=&cursor=` (reconciliation), scoped to the token's apps. Added to
 * the partner router, behind its token check and rate limit on `/api/orders`.
 */
export function addOrderResultRoutes(router: Router, deps: { cfg: Config; db: Db }): void {
  const readerFor = (req: Request, partner: PartnerPrincipal, q: z.infer<typeof readQuery>): PartnerReader => {
    const wantsPii = q.pii === '1' || q.pii === 'true';
    if (wantsPii && !partner.scopes.includes('pii')) throw forbidden('this token has no pii scope');
    let apps = deps.cfg.apps.filter((a) => partner.appKey === null || partner.appKey === a.key);
    if (q.appKey) {
      if (!appByKey(deps.cfg, q.appKey)) throw notFound(`unknown app key ${q.appKey}`);
      apps = apps.filter((a) => a.key === q.appKey);
      if (apps.length === 0) throw forbidden('this token is not for that app');
    }
    const { ip, userAgent } = requestContext(req);
    return {
      tokenId: partner.tokenId,
      appIds: apps.map((a) => a.appId),
      pii: wantsPii,
      ctx: { actorRole: 'partner', ip, userAgent },
    };
  };

  router.get('/api/orders/:orderNo', async (req, res) => {
    const no = parse(orderNo, req.params.orderNo);
    const q = parse(readQuery, req.query);
    const reader = readerFor(req, res.locals.partner as PartnerPrincipal, q);
    res.set('Cache-Control', 'no-store').json(await readOrderResult(deps.db, deps.cfg, reader, no));
  });

  router.get('/api/orders', async (req, res) => {
    const q = parse(listQuery, req.query);
    const reader = readerFor(req, res.locals.partner as PartnerPrincipal, q);
    const page = await listOrderResults(deps.db, deps.cfg, reader, q);
    res.set('Cache-Control', 'no-store').json(page);
  });
}
