import { orderSearchSchema, searchOrders, type OrderSearch } from '../../shared/compliance/order-search';
import { audit, audited, scopeOfStaff, type ConsoleRouters, type RouteDeps } from './deps';
import { sendPage } from './layout';
import { orderSearchPage } from './order-search-page';
import { rawQuery } from './page-parts';
import { parseInput } from './validate';

/** The filters of a page search as the audit row records them. */
function searchFilters(f: OrderSearch): Record<string, unknown> {
  return {
    orderNo: f.orderNo,
    app: f.app,
    status: f.status,
    resultCode: f.resultCode,
    from: f.from?.toISOString(),
    to: f.to?.toISOString(),
    page: f.cursor ? 'next' : 'first',
  };
}

/** Order search: `GET /api/orders` and the search page at the console's root. No personal data in either. */
export function orderSearchRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;

  api.get(
    '/orders',
    auth.requireStaff('viewer', { action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      const f = parseInput(orderSearchSchema, req.query, 'search');
      const result = await searchOrders(db, cfg, f, scopeOfStaff(deps, res));
      await audit(deps, req, res, {
        action: 'search',
        outcome: 'success',
        detail: {
          filters: {
            ...f,
            from: f.from?.toISOString(),
            to: f.to?.toISOString(),
            cursor: f.cursor ? 'next' : undefined,
          },
          results: result.rows.length,
        },
      });
      res.set('Cache-Control', 'no-store').json({ orders: result.rows, nextCursor: result.nextCursor ?? null });
    }),
  );

  pages.get(
    '/',
    auth.requireStaff('viewer', { page: true, action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      const parsed = orderSearchSchema.safeParse(rawQuery(req));
      if (!parsed.success) {
        const invalid = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        await audit(deps, req, res, {
          action: 'search',
          outcome: 'failure',
          detail: { status: 400, error: 'bad_request' },
        });
        sendPage(res, 400, orderSearchPage(req, res, cfg.apps, { invalid }));
        return;
      }
      const result = await searchOrders(db, cfg, parsed.data, scopeOfStaff(deps, res));
      await audit(deps, req, res, {
        action: 'search',
        outcome: 'success',
        detail: { filters: searchFilters(parsed.data), results: result.rows.length },
      });
      sendPage(res, 200, orderSearchPage(req, res, cfg.apps, result));
    }),
  );
}
