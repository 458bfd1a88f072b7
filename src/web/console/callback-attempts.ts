import { callbackAttemptSchema, searchCallbackAttempts } from '../../shared/compliance/callback-attempts';
import { audit, audited, type ConsoleRouters, type RouteDeps } from './deps';
import { callbackAttemptsPage } from './callback-attempts-page';
import { sendPage } from './layout';
import { rawQuery } from './page-parts';
import { parseInput } from './validate';

/**
 * Callback attempts (README: forgeries stay visible): `GET /api/callbacks` and the page at
 * /callbacks, linked from the menu and from each order. Reading them is audited.
 */
export function callbackAttemptRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;

  api.get(
    '/callbacks',
    auth.requireStaff('viewer', { action: 'callbacks.search' }),
    audited(deps, 'callbacks.search', async (req, res) => {
      const f = parseInput(callbackAttemptSchema, req.query, 'callback search');
      const result = await searchCallbackAttempts(db, cfg, f);
      await audit(deps, req, res, {
        action: 'callbacks.search',
        outcome: 'success',
        detail: { orderNo: f.orderNo, verdict: f.verdict, results: result.rows.length },
      });
      res
        .set('Cache-Control', 'no-store')
        .json({ attempts: result.rows, total: result.total, nextCursor: result.nextCursor ?? null });
    }),
  );

  pages.get(
    '/callbacks',
    auth.requireStaff('viewer', { page: true, action: 'callbacks.search' }),
    audited(deps, 'callbacks.search', async (req, res) => {
      const parsed = callbackAttemptSchema.safeParse(rawQuery(req));
      if (!parsed.success) {
        await audit(deps, req, res, { action: 'callbacks.search', outcome: 'failure', detail: { status: 400 } });
        sendPage(res, 400, callbackAttemptsPage(req, res, { invalid: true }));
        return;
      }
      const result = await searchCallbackAttempts(db, cfg, parsed.data);
      await audit(deps, req, res, {
        action: 'callbacks.search',
        outcome: 'success',
        detail: { orderNo: parsed.data.orderNo, verdict: parsed.data.verdict, results: result.rows.length },
      });
      sendPage(res, 200, callbackAttemptsPage(req, res, result));
    }),
  );
}
