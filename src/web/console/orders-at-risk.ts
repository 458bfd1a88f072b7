import type { Request, Response } from 'express';
import { ordersAtRisk } from '../../shared/compliance/orders-at-risk';
import { audit, audited, scopeOfStaff, type ConsoleRouters, type RouteDeps } from './deps';
import { sendPage } from './layout';
import { ordersAtRiskPage } from './orders-at-risk-page';

/** Orders about to lose their WeBank result: `GET /api/orders-at-risk` and the page at /at-risk. */
export function ordersAtRiskRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;
  const load = async (req: Request, res: Response) => {
    const result = await ordersAtRisk(db, cfg, scopeOfStaff(deps, res));
    await audit(deps, req, res, {
      action: 'search',
      outcome: 'success',
      detail: { view: 'at-risk', results: result.orders.length },
    });
    return result;
  };

  api.get(
    '/orders-at-risk',
    auth.requireStaff('viewer', { action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      res.json(await load(req, res));
    }),
  );

  pages.get(
    '/at-risk',
    auth.requireStaff('viewer', { page: true, action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      const result = await load(req, res);
      sendPage(res, 200, ordersAtRiskPage(req, res, cfg.RECOVERY_WINDOW_HOURS, result));
    }),
  );
}
