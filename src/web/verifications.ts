import express, { Router } from 'express';
import { notFound } from '../shared/platform/errors';
import type { RedisClient } from '../shared/platform/redis';
import { z } from 'zod';
import type { Config } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { orderSummary } from '../shared/orders/order-summary';
import { startIdNo, startMode, startName, startUserId } from '../shared/orders/start-input';
import type { VerificationStarter } from '../shared/orders/verification-start';
import type { Auth } from './auth/middleware';
import type { PartnerPrincipal } from './auth/principal';
import { appFor, appKey, orderNo, parse, rateLimit } from './partner-api';

export interface VerificationsDeps {
  cfg: Config;
  db: Db;
  redis: RedisClient;
  auth: Auth;
  starter: VerificationStarter;
}

const sdkBody = z.object({
  appKey,
  orderNo: orderNo.optional(),
  userId: startUserId,
  name: startName.optional(),
  idNo: startIdNo.optional(),
});
const h5Body = sdkBody.extend({ redirectUrl: z.string().max(1024).optional(), mode: startMode.optional() });

/**
 * `POST /api/verifications` (H5) and `POST /api/verifications/app-sdk`: the partner's backend
 * starts a verification with its API token alone; this service takes the WeBank credentials,
 * registers the order and answers with the signed start (orders/verification-start.ts).
 * Rate-limited per token on their own bucket: each start spends two WeBank calls.
 * `GET /api/verifications/:orderNo?appKey=` tells the partner later how it ended (no personal data).
 */
export function verificationsRouter(deps: VerificationsDeps): Router {
  const router = Router();
  router.use('/api/verifications', express.json({ limit: '16kb' }), deps.auth.requirePartnerToken());

  router.get('/api/verifications/:orderNo', rateLimit(deps, deps.cfg.PARTNER_RATE_PER_MINUTE), async (req, res) => {
    const q = parse(z.object({ appKey, orderNo }), { ...req.query, orderNo: req.params.orderNo });
    const app = appFor(deps, res, q.appKey);
    const summary = await orderSummary(deps.db, app.appId, q.orderNo);
    if (!summary) throw notFound(`no order ${q.orderNo}`);
    res.set('Cache-Control', 'no-store').json(summary);
  });

  router.use('/api/verifications', rateLimit(deps, deps.cfg.PARTNER_START_RATE_PER_MINUTE, 'start'));

  router.post('/api/verifications', async (req, res) => {
    const body = parse(h5Body.strict(), req.body);
    const app = appFor(deps, res, body.appKey);
    const started = await deps.starter.startH5(app, body, origin(res.locals.partner));
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ ...started, expiresAt: started.expiresAt.toISOString() });
  });

  router.post('/api/verifications/app-sdk', async (req, res) => {
    const body = parse(sdkBody.strict(), req.body);
    const app = appFor(deps, res, body.appKey);
    const started = await deps.starter.startAppSdk(app, body, origin(res.locals.partner));
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ ...started, expiresAt: started.expiresAt.toISOString() });
  });

  return router;
}

function origin(partner: PartnerPrincipal | undefined) {
  return { via: 'api' as const, by: `partner-token:${partner?.tokenId ?? 'unknown'}` };
}
