import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { RedisClient } from '../shared/platform/redis';
import { z } from 'zod';
import { appByKey, PRODUCTS, type WebankApp } from '../shared/platform/config';
import { badRequest, forbidden, notFound, tooManyRequests, unavailable, AppError } from '../shared/platform/errors';
import { registerExpectedOrder, registrationProblem } from '../shared/orders/registration';
import { rateLimitHit } from '../shared/platform/rate-limit';
import { partnerMayUseApp, type Auth } from './auth/middleware';
import type { PartnerPrincipal } from './auth/principal';
import { verifyAndRecord, type VerifyDeps } from './verify-result';
import { outcomeOf } from './callback';

export interface PartnerApiDeps extends VerifyDeps {
  auth: Auth;
  redis: RedisClient;
  /** Requests per minute per partner token. */
  ratePerMinute?: number;
}

export const appKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/)
  .default('default');
export const orderNo = z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'letters and digits, at most 32');

const verifyBody = z
  .object({
    appKey,
    orderNo,
    code: z.string().regex(/^[A-Za-z0-9]{1,16}$/),
    sign: z.string().regex(/^[0-9A-Fa-f]{40}$/, '40 hex characters'),
    h5faceId: z
      .string()
      .regex(/^[A-Za-z0-9]{1,64}$/)
      .optional(),
  })
  .strict();

const registerBody = z
  .object({
    appKey,
    orderNo,
    product: z.enum(PRODUCTS).optional(),
    userRef: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .optional(),
    startedAt: z.coerce.date().optional(),
  })
  .strict();

/**
 * The partner backend's API, authenticated by partner API tokens and rate-limited per token:
 * `POST /api/results/verify` for results a mobile App SDK received, `POST /api/orders` to
 * register an order before the user is sent to WeBank (so it can be recovered if they never return).
 */
export function partnerApiRouter(deps: PartnerApiDeps): Router {
  const router = Router();
  const limit = deps.ratePerMinute ?? 600;
  router.use('/api', express.json({ limit: '16kb' }));
  router.use('/api/results', deps.auth.requirePartnerToken(), rateLimit(deps, limit));
  router.use('/api/orders', deps.auth.requirePartnerToken(), rateLimit(deps, limit));

  router.post('/api/results/verify', async (req, res) => {
    const body = parse(verifyBody, req.body);
    const app = appFor(deps, res, body.appKey);
    const params = { appKey: body.appKey, orderNo: body.orderNo, code: body.code, sign: '[present]' };
    const who = { clientIp: req.ip, userAgent: req.get('user-agent')?.slice(0, 256) };
    const result = await verifyAndRecord(deps, app, { ...body, signature: body.sign }, 'app_sdk', params, who);
    if (result.verdict === 'unverifiable') throw unavailable('no valid SIGN ticket held; retry shortly');
    if (result.verdict === 'rejected')
      throw new AppError('signature_rejected', 403, 'the signature does not match this result');
    res.status(result.verdict === 'accepted' ? 201 : 200).json({
      orderNo: body.orderNo,
      verdict: result.verdict,
      outcome: outcomeOf(result, body.code),
      code: result.code,
    });
  });

  router.post('/api/orders', async (req, res) => {
    const body = parse(registerBody, req.body);
    const app = appFor(deps, res, body.appKey);
    // The product is the app's, startedAt the recent past (issue 15: 1970 made the sweeper expire it unasked).
    const problem = registrationProblem(deps.cfg, app, body);
    if (problem) throw badRequest('invalid request body', { problems: [problem] });
    const { created, order } = await registerExpectedOrder(deps.db, deps.cfg, app, body);
    res.status(created ? 201 : 200).json({ orderNo: order.orderNo, status: order.status, created });
  });

  return router;
}

/** Per partner token and `bucket` (its own count per kind of call), `limit` requests a minute. */
export function rateLimit(deps: Pick<PartnerApiDeps, 'redis' | 'cfg'>, limit: number, bucket = 'partner') {
  return async (_req: Request, res: Response, next: NextFunction) => {
    const partner = res.locals.partner as PartnerPrincipal;
    const decision = await rateLimitHit(
      deps.redis,
      `${deps.cfg.QUEUE_PREFIX}:rl:${bucket}:${partner.tokenId}`,
      limit,
      60,
    );
    res.set('RateLimit-Limit', String(limit)).set('RateLimit-Remaining', String(decision.remaining));
    if (!decision.allowed) {
      res.set('Retry-After', String(decision.resetSeconds));
      throw tooManyRequests(`at most ${limit} requests a minute per token`);
    }
    next();
  };
}

/** The body as `schema` says, or 400 naming every problem (never the values: they may be personal). */
export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw badRequest('invalid request body', {
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
    });
  }
  return parsed.data;
}

/** The configured app `key` names, if the request's partner token covers it (404 / 403 otherwise). */
export function appFor(deps: Pick<PartnerApiDeps, 'cfg'>, res: Response, key: string): WebankApp {
  const app = appByKey(deps.cfg, key);
  if (!app) throw notFound(`unknown app key ${key}`);
  if (!partnerMayUseApp(res.locals.partner as PartnerPrincipal, key)) throw forbidden('this token is not for that app');
  return app;
}
