import type { Request, Response } from 'express';
import { auditCsvLine, AUDIT_CSV_COLUMNS, iterateAudit, searchAudit } from '../../shared/compliance/audit';
import { auditPage } from './audit-page';
import { audit, audited, type ConsoleRouters, type RouteDeps } from './deps';
import { sendPage } from './layout';
import { auditSearchSchema } from './schemas';
import { parseInput } from './validate';

/** The audit trail: `GET /api/audit`, `GET /api/audit.csv` and the page at /audit. Reading it is audited too. */
export function auditRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { auth } = deps;

  api.get(
    '/audit',
    auth.requireStaff('auditor', { action: 'audit.search' }),
    audited(deps, 'audit.search', async (req, res) => {
      const result = await searchAudited(deps, req, res);
      res.set('Cache-Control', 'no-store').json({
        entries: result.rows.map((a) => ({ ...a, id: a.id.toString() })),
        nextCursor: result.nextCursor ?? null,
      });
    }),
  );

  api.get(
    '/audit.csv',
    auth.requireStaff('auditor', { action: 'audit.export' }),
    audited(deps, 'audit.export', (req, res) => sendAuditCsv(deps, req, res)),
  );

  pages.get(
    '/audit',
    auth.requireStaff('auditor', { page: true, action: 'audit.search' }),
    audited(deps, 'audit.search', async (req, res) => {
      const result = await searchAudited(deps, req, res);
      sendPage(res, 200, auditPage(req, res, result.rows, result.nextCursor));
    }),
  );
}

/** One page of the trail for the query's filters; the search itself is recorded (the cursor only as "next"). */
async function searchAudited(deps: RouteDeps, req: Request, res: Response) {
  const f = parseInput(auditSearchSchema, req.query, 'audit filter');
  const result = await searchAudit(deps.db, f);
  await audit(deps, req, res, {
    action: 'audit.search',
    outcome: 'success',
    detail: {
      filters: { ...f, from: f.from?.toISOString(), to: f.to?.toISOString(), cursor: f.cursor ? 'next' : undefined },
      results: result.rows.length,
    },
  });
  return result;
}

/** Streams every matching row as CSV, honouring backpressure; stops if the client goes away. */
async function sendAuditCsv(deps: RouteDeps, req: Request, res: Response): Promise<void> {
  const { cursor: _c, limit: _l, ...f } = parseInput(auditSearchSchema, req.query, 'audit filter');
  // Recorded first: the export itself is in the trail (it shows up in later exports, not this one).
  await audit(deps, req, res, {
    action: 'audit.export',
    outcome: 'success',
    detail: { filters: { ...f, from: f.from?.toISOString(), to: f.to?.toISOString() } },
  });
  const before = new Date();
  res.status(200).set({
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="audit-${before.toISOString().slice(0, 10)}.csv"`,
    'Cache-Control': 'no-store',
  });
  res.write(`\ufeff${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
  for await (const row of iterateAudit(deps.db, { ...f, to: f.to && f.to < before ? f.to : before })) {
    if (!res.write(auditCsvLine(row))) await new Promise((resolve) => res.once('drain', resolve));
    if (res.destroyed) return;
  }
  res.end();
}
