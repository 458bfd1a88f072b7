import type { Request, Response } from 'express';
import { z } from 'zod';
import { PARTNER_EVENT_TYPES } from '../../shared/orders/partner-events';
import { deliveryLog } from '../../shared/partners/delivery-log';
import { replay } from '../../shared/partners/replay';
import {
  addEndpoint,
  disableEndpoint,
  enableEndpoint,
  getEndpoint,
  listEndpoints,
  rotateSecret,
} from '../../shared/partners/webhook-endpoints';
import { dayOrInstant } from '../../shared/platform/display-time';
import { audit, audited, auditContext, markAudited, type ConsoleRouters, type RouteDeps } from './deps';
import { sendPage } from './layout';
import { parseInput } from './validate';
import { deliveryLogPage, webhooksPage } from './webhooks-page';

const checkbox = z
  .union([z.literal('on'), z.literal('true'), z.literal('1'), z.boolean()])
  .optional()
  .transform((v) => v === true || v === 'on' || v === 'true' || v === '1');
const positive = (def: number) => z.coerce.number().int().min(1).default(def);

const addSchema = z.object({
  url: z.string().trim().min(1).max(2000),
  appKey: z.string().trim().max(32).optional(),
  events: z
    .union([z.array(z.enum(PARTNER_EVENT_TYPES)), z.enum(PARTNER_EVENT_TYPES)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  description: z.string().trim().max(200).optional(),
  allowPrivate: checkbox,
  concurrency: positive(4),
  ratePerSecond: positive(10),
});
const disableSchema = z.object({ reason: z.string().trim().max(200).optional() });
const replaySchema = z.object({
  eventId: z.string().trim().max(60).optional(),
  from: dayOrInstant(false).optional(),
  to: dayOrInstant(true).optional(),
});
const logQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed', 'disabled']).optional(),
  cursor: z.string().max(200).optional(),
});

/**
 * Partner webhook endpoints (admins): `GET/POST /api/webhooks`, `POST /api/webhooks/:id/disable|
 * enable|rotate-secret|replay`, `GET /api/webhooks/:id/deliveries`; pages /webhooks (endpoints,
 * the disabled ones first as needing attention) and /webhooks/:id (its delivery log). Every
 * request is audited; secrets are shown once, in the answer that creates them.
 */
export function webhookRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;
  const admin = (action: Parameters<typeof auth.requireStaff>[1]) => auth.requireStaff('admin', action);

  const list = async (req: Request, res: Response) => {
    const endpoints = await listEndpoints(db);
    await audit(deps, req, res, {
      action: 'webhook.list',
      outcome: 'success',
      detail: { endpoints: endpoints.length },
    });
    return endpoints;
  };
  const log = async (req: Request, res: Response) => {
    const endpoint = await getEndpoint(db, req.params.id as string);
    const q = parseInput(logQuery, req.query, 'query');
    const page = await deliveryLog(db, endpoint.id, q);
    await audit(deps, req, res, {
      action: 'webhook.list',
      outcome: 'success',
      target: `webhook:${endpoint.id}`,
      detail: { log: page.rows.length },
    });
    return { endpoint, ...page };
  };

  api.get(
    '/webhooks',
    admin({ action: 'webhook.list' }),
    audited(deps, 'webhook.list', async (req, res) => {
      res.json({ endpoints: await list(req, res) });
    }),
  );

  api.post(
    '/webhooks',
    admin({ action: 'webhook.add' }),
    audited(deps, 'webhook.add', async (req, res) => {
      const body = parseInput(addSchema, req.body, 'webhook');
      const { endpoint, secret } = await addEndpoint(
        db,
        cfg,
        { ...body, appKey: body.appKey || null, description: body.description ?? '' },
        auditContext(req, res),
      );
      markAudited(res);
      res.status(201).set('Cache-Control', 'no-store').json({ endpoint, secret, note: 'shown once: store it now' });
    }),
  );

  api.post(
    '/webhooks/:id/disable',
    admin({ action: 'webhook.disable' }),
    audited(deps, 'webhook.disable', async (req, res) => {
      const body = parseInput(disableSchema, req.body, 'webhook');
      const endpoint = await disableEndpoint(
        db,
        req.params.id as string,
        body.reason || '由管理员停用 (disabled by staff)',
        auditContext(req, res),
      );
      markAudited(res);
      res.json({ endpoint });
    }),
  );

  api.post(
    '/webhooks/:id/enable',
    admin({ action: 'webhook.enable' }),
    audited(deps, 'webhook.enable', async (req, res) => {
      const endpoint = await enableEndpoint(db, req.params.id as string, auditContext(req, res));
      markAudited(res);
      res.json({ endpoint });
    }),
  );

  api.post(
    '/webhooks/:id/rotate-secret',
    admin({ action: 'webhook.rotate_secret' }),
    audited(deps, 'webhook.rotate_secret', async (req, res) => {
      const { endpoint, secret } = await rotateSecret(db, cfg, req.params.id as string, auditContext(req, res));
      markAudited(res);
      res.set('Cache-Control', 'no-store').json({ endpoint, secret, note: 'shown once: store it now' });
    }),
  );

  api.post(
    '/webhooks/:id/replay',
    admin({ action: 'webhook.replay' }),
    audited(deps, 'webhook.replay', async (req, res) => {
      // A replay button names its event in the query; the range form posts from/to.
      const body = parseInput(replaySchema, { ...(req.query as object), ...(req.body as object) }, 'replay');
      const deliveries = await replay(
        db,
        { endpointId: req.params.id as string, eventId: body.eventId, from: body.from, to: body.to },
        auditContext(req, res),
      );
      markAudited(res);
      res.json({ deliveries });
    }),
  );

  api.get(
    '/webhooks/:id/deliveries',
    admin({ action: 'webhook.list' }),
    audited(deps, 'webhook.list', async (req, res) => {
      const { rows, nextCursor } = await log(req, res);
      res.json({ deliveries: rows, nextCursor: nextCursor ?? null });
    }),
  );

  pages.get(
    '/webhooks',
    admin({ page: true, action: 'webhook.list' }),
    audited(deps, 'webhook.list', async (req, res) => {
      sendPage(
        res,
        200,
        webhooksPage(
          req,
          res,
          cfg.apps.map((a) => a.key),
          await list(req, res),
        ),
      );
    }),
  );

  pages.get(
    '/webhooks/:id',
    admin({ page: true, action: 'webhook.list' }),
    audited(deps, 'webhook.list', async (req, res) => {
      sendPage(res, 200, deliveryLogPage(req, res, await log(req, res)));
    }),
  );
}
