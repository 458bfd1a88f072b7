import type { Request, Response } from 'express';
import { loadSigner } from '../../shared/compliance/export-package';
import { verifyOrderEvidence } from '../../shared/compliance/integrity';
import { openPii } from '../../shared/compliance/mask';
import { orderRef } from '../../shared/compliance/order-record';
import { orderView } from '../../shared/compliance/order-view';
import { requeueOrder } from '../../shared/compliance/staff-requeue';
import {
  audit,
  audited,
  auditContext,
  loadOrderFor,
  markAudited,
  scopeOfStaff,
  type ConsoleRouters,
  type RouteDeps,
} from './deps';
import { scopeFilter } from '../../shared/compliance/staff/app-scope';
import { baseOf, sendPage } from './layout';
import { orderNotFoundPage, orderPage } from './order-page';
import { requirePurpose } from './purpose';

/**
 * One order: its page and `GET /api/orders/:id` (personal data masked), and what staff do to it:
 * reveal the personal data, verify the evidence, re-queue it for archiving.
 */
export function orderRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { cfg, auth } = deps;

  api.get(
    '/orders/:id',
    auth.requireStaff('viewer', { action: 'view' }),
    audited(deps, 'view', async (req, res) => {
      const record = await loadOrderFor(deps, req, res);
      await audit(deps, req, res, { action: 'view', outcome: 'success', order: orderRef(record) });
      res.set('Cache-Control', 'no-store').json(orderView(cfg, record));
    }),
  );

  pages.get(
    '/orders/:id',
    auth.requireStaff('viewer', { page: true, action: 'view' }),
    audited(deps, 'view', async (req, res) => {
      // An order number in the URL (what staff paste from a ticket) opens that order.
      if (!UUID.test(String(req.params.id))) {
        await openByOrderNo(deps, req, res, String(req.params.id));
        return;
      }
      const record = await loadOrderFor(deps, req, res);
      await audit(deps, req, res, { action: 'view', outcome: 'success', order: orderRef(record) });
      sendPage(res, 200, orderPage(req, res, orderView(cfg, record), loadSigner(cfg)?.fingerprint));
    }),
  );

  api.post(
    '/orders/:id/reveal',
    auth.requireStaff('auditor', { action: 'reveal' }),
    audited(deps, 'reveal', async (req, res) => {
      const record = await loadOrderFor(deps, req, res);
      const purpose = requirePurpose((req.body as { purpose?: unknown } | undefined)?.purpose);
      const pii = openPii(cfg, record);
      await audit(deps, req, res, {
        action: 'reveal',
        outcome: pii.unreadable ? 'failure' : 'success',
        order: orderRef(record),
        detail: {
          fields: [pii.idNo !== null && 'idNo', pii.name !== null && 'name'].filter(Boolean),
          purpose,
          ...(pii.unreadable ? { error: 'unreadable' } : {}),
        },
      });
      res.set('Cache-Control', 'no-store').json({ idNo: pii.idNo, name: pii.name, idType: record.idType });
    }),
  );

  api.post(
    '/orders/:id/verify',
    auth.requireStaff('viewer', { action: 'verify' }),
    audited(deps, 'verify', async (req, res) => {
      const record = await loadOrderFor(deps, req, res);
      const report = await verifyOrderEvidence(deps, record, auditContext(req, res));
      markAudited(res);
      res.json(report);
    }),
  );

  api.post(
    '/orders/:id/requeue',
    auth.requireStaff('admin', { action: 'requeue' }),
    audited(deps, 'requeue', async (req, res) => {
      const record = await loadOrderFor(deps, req, res);
      const result = await requeueOrder(deps, record, auditContext(req, res));
      markAudited(res);
      res.json({ ...result, status: 'QUEUED' });
    }),
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORDER_NO = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `/orders/<orderNo>`: one order with that number goes to its page; several (one per app) to
 * the search listing them; none to a page saying so, linking to the callback attempts for that
 * number (a forgery may have used it).
 */
async function openByOrderNo(deps: RouteDeps, req: Request, res: Response, orderNo: string): Promise<void> {
  const base = baseOf(req);
  const orders = ORDER_NO.test(orderNo)
    ? await deps.db.order.findMany({
        where: { orderNo, ...scopeFilter(scopeOfStaff(deps, res)) },
        select: { id: true },
        take: 2,
      })
    : [];
  if (orders.length === 1) {
    res.locals.audited = true; // the order page the browser is sent to writes the view row
    res.redirect(303, `${base}/orders/${orders[0]!.id}`);
    return;
  }
  if (orders.length > 1) {
    res.locals.audited = true;
    res.redirect(303, `${base}/?orderNo=${encodeURIComponent(orderNo)}`);
    return;
  }
  await audit(deps, req, res, {
    action: 'view',
    outcome: 'failure',
    target: `order ${orderNo.slice(0, 64)}`,
    detail: { status: 404, error: 'not_found' },
  });
  sendPage(res, 404, orderNotFoundPage(req, res, ORDER_NO.test(orderNo) ? orderNo : ''));
}
