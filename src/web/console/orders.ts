import { loadSigner } from '../../shared/compliance/export-package';
import { verifyOrderEvidence } from '../../shared/compliance/integrity';
import { openPii } from '../../shared/compliance/mask';
import { orderRef } from '../../shared/compliance/order-record';
import { orderView } from '../../shared/compliance/order-view';
import { requeueOrder } from '../../shared/compliance/staff-requeue';
import { audit, audited, auditContext, loadOrderFor, markAudited, type ConsoleRouters, type RouteDeps } from './deps';
import { sendPage } from './layout';
import { orderPage } from './order-page';

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
      const pii = openPii(cfg, record);
      await audit(deps, req, res, {
        action: 'reveal',
        outcome: pii.unreadable ? 'failure' : 'success',
        order: orderRef(record),
        detail: {
          fields: [pii.idNo !== null && 'idNo', pii.name !== null && 'name'].filter(Boolean),
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
