import type { Request, Response } from 'express';
import { z } from 'zod';
import { csvCell } from '../../shared/compliance/audit';
import { translator } from '../../shared/compliance/i18n/translator';
import {
  allMatchingOrders,
  orderSearchSchema,
  searchOrders,
  type OrderSearch,
} from '../../shared/compliance/order-search';
import { when } from '../../shared/compliance/order-view';
import { describeResultCode } from '../../shared/compliance/result-codes';
import { audit, audited, scopeOfStaff, type ConsoleRouters, type RouteDeps } from './deps';
import { localeOf, tOf } from './locale';
import { sendPage } from './layout';
import { orderSearchPage } from './order-search-page';
import { rawQuery } from './page-parts';
import { requirePurpose } from './purpose';
import { parseInput } from './validate';

/** The filters of a search as the audit row records them. */
function searchFilters(f: OrderSearch): Record<string, unknown> {
  return {
    q: f.q,
    orderNo: f.orderNo,
    app: f.app,
    status: f.status,
    outcome: f.outcome,
    resultCode: f.resultCode,
    range: f.range,
    from: f.from?.toISOString(),
    to: f.to?.toISOString(),
    page: f.cursor ? 'next' : f.before ? 'previous' : 'first',
  };
}

/** Which fields of the form were refused, named in the page's language (never zod's English). */
function invalidFields(req: Request, res: Response, issues: readonly z.core.$ZodIssue[]): string {
  const t = tOf(req, res);
  const names = new Set(issues.map((i) => String(i.path[0] ?? '')));
  return [...names]
    .map((n) => (['q', 'app', 'status', 'outcome', 'resultCode', 'from', 'to'].includes(n) ? t(`search.${n}`) : n))
    .join('、');
}

/** Order search: `GET /api/orders`, the search page at the console's root, and the list as CSV. No personal data in any. */
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
        detail: { filters: searchFilters(f), results: result.rows.length },
      });
      res.set('Cache-Control', 'no-store').json({
        orders: result.rows,
        total: result.total,
        nextCursor: result.nextCursor ?? null,
        prevCursor: result.prevCursor ?? null,
      });
    }),
  );

  pages.get(
    '/',
    auth.requireStaff('viewer', { page: true, action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      const parsed = orderSearchSchema.safeParse(rawQuery(req));
      if (!parsed.success) {
        await audit(deps, req, res, {
          action: 'search',
          outcome: 'failure',
          detail: { status: 400, error: 'bad_request' },
        });
        sendPage(
          res,
          400,
          orderSearchPage(req, res, cfg.apps, { invalid: invalidFields(req, res, parsed.error.issues) }),
        );
        return;
      }
      const result = await searchOrders(db, cfg, parsed.data, scopeOfStaff(deps, res));
      await audit(deps, req, res, {
        action: 'search',
        outcome: 'success',
        detail: { filters: searchFilters(parsed.data), results: result.rows.length, total: result.total },
      });
      sendPage(res, 200, orderSearchPage(req, res, cfg.apps, result));
    }),
  );

  /** The result list as CSV (auditors): the same filters, every matching order up to 10,000, with a stated purpose. */
  pages.get(
    '/orders.csv',
    auth.requireStaff('auditor', { action: 'orders.export' }),
    audited(deps, 'orders.export', async (req, res) => {
      const { purpose: _purpose, ...filters } = req.query;
      const f = parseInput(orderSearchSchema, filters, 'search');
      const purpose = requirePurpose(req.query.purpose);
      const rows = await allMatchingOrders(db, cfg, f, scopeOfStaff(deps, res));
      await audit(deps, req, res, {
        action: 'orders.export',
        outcome: 'success',
        detail: { filters: searchFilters(f), results: rows.length, purpose },
      });
      const locale = localeOf(req, res);
      const t = translator(locale);
      const header = [
        t('cli.orderNo'),
        t('cli.app'),
        t('cli.product'),
        t('cli.outcome'),
        t('cli.resultCode'),
        t('order.resultMeaning'),
        t('cli.status'),
        t('cli.recorded'),
        t('cli.archived'),
      ];
      const lines = rows.map((o) => {
        const info = describeResultCode(o.resultCode, o.product);
        return [
          o.orderNo,
          o.appKey,
          o.product,
          t(`outcome.${o.outcome}`),
          o.resultCode,
          info ? (locale === 'en' ? info.en : info.zh) : '',
          t(`status.${o.status}`),
          when(o.createdAt),
          when(o.archivedAt),
        ]
          .map(csvCell)
          .join(',');
      });
      res
        .status(200)
        .set({
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="orders-${new Date().toISOString().slice(0, 10)}.csv"`,
          'Cache-Control': 'no-store',
        })
        .send(`\ufeff${header.map(csvCell).join(',')}\r\n${lines.map((l) => `${l}\r\n`).join('')}`);
    }),
  );
}
