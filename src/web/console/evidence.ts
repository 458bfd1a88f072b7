import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { orderRef } from '../../shared/compliance/order-record';
import { servedType } from '../../shared/compliance/order-view';
import { openCheckedEvidence } from '../../shared/compliance/evidence-reader';
import { notFound } from '../../shared/platform/errors';
import { componentLogger } from '../../shared/platform/logger';
import { orderIdParam } from '../../shared/platform/uuid';
import { assertInScope } from '../../shared/compliance/staff/app-scope';
import { audit, audited, auditContext, scopeOfStaff, type ConsoleRouters, type RouteDeps } from './deps';
import { parseRange, type RangeResult } from './range';
import { evidenceKindSchema } from './schemas';

const log = componentLogger('console');

/** The evidence bytes: `GET /api/orders/:id/evidence/:kind`, streamed from S3, one byte range at a time. */
export function evidenceRoutes(deps: RouteDeps, { api }: ConsoleRouters): void {
  // Looking at a photo or playing the video on the order page is a view; saving a file is a download.
  const path = '/orders/:id/evidence/:kind';
  const isDownload = (req: Request) => req.query.download === '1';
  api.get(
    path,
    (req, _res, next) => next(isDownload(req) ? 'route' : undefined),
    deps.auth.requireStaff('viewer', { action: 'view' }),
    audited(deps, 'view', (req, res) => sendEvidence(deps, req, res)),
  );
  api.get(
    path,
    deps.auth.requireStaff('viewer', { action: 'download' }),
    audited(deps, 'download', (req, res) => sendEvidence(deps, req, res)),
  );
}

/** What the audit row says about the range asked for (the header clipped: it is the client's text). */
function rangeDetail(range: RangeResult, header: string | undefined): string | undefined {
  if (range.kind === 'partial') return `${range.start}-${range.end}`;
  return range.kind === 'full' ? 'full' : header?.slice(0, 40);
}

/** Streams one evidence object, honouring a single byte range (206) so the video can seek. */
async function sendEvidence(deps: RouteDeps, req: Request, res: Response): Promise<void> {
  const orderId = orderIdParam(req.params.id as string);
  const kind = evidenceKindSchema.safeParse(req.params.kind);
  if (!kind.success) throw notFound('no such evidence');
  const row = await deps.db.evidence.findUnique({
    where: { orderId_kind: { orderId, kind: kind.data } },
    include: { order: { select: { id: true, appId: true, orderNo: true } } },
  });
  if (!row) throw notFound('no such evidence');
  res.locals.auditOrder = orderRef(row.order);
  assertInScope(scopeOfStaff(deps, res), row.order);
  const size = Number(row.bytes);
  const rangeHeader = req.get('range');
  const range = parseRange(rangeHeader, size);
  const served = servedType(row.contentType);
  const download = req.query.download === '1' || !served.inline;
  const detail = { kind: row.kind, range: rangeDetail(range, rangeHeader), download };
  const action = download ? ('download' as const) : ('view' as const);
  const entry = { order: orderRef(row.order), target: row.kind } as const;
  if (range.kind === 'unsatisfiable') {
    await audit(deps, req, res, {
      action,
      outcome: 'failure',
      ...entry,
      detail: { ...detail, status: 416 },
    });
    res.status(416).set('Content-Range', `bytes */${size}`).set('Accept-Ranges', 'bytes').end();
    return;
  }
  // Hashed as it streams, or (a range) served only from a freshly verified object: see evidence-reader.ts.
  const object = await openCheckedEvidence(
    deps,
    row,
    range.kind === 'partial' ? { start: range.start, end: range.end } : undefined,
    auditContext(req, res),
  );
  await audit(deps, req, res, { action, outcome: 'success', ...entry, detail });
  const filename = `${row.order.orderNo}-${row.kind}.${served.ext}`;
  res.status(range.kind === 'partial' ? 206 : 200);
  res.set({
    'Content-Type': served.type,
    'Content-Length': String(range.kind === 'partial' ? range.end - range.start + 1 : size),
    'Accept-Ranges': 'bytes',
    // The recorded hash only for bytes a whole-object check covers (never for unchecked bytes).
    ...(object.etag ? { ETag: `"${object.etag}"` } : {}),
    'Cache-Control': 'private, no-store',
    'Content-Disposition': `${download ? 'attachment' : 'inline'}; filename="${filename}"`,
    ...(range.kind === 'partial' ? { 'Content-Range': `bytes ${range.start}-${range.end}/${size}` } : {}),
  });
  if (req.method === 'HEAD') {
    object.body.destroy();
    res.end();
    return;
  }
  try {
    // On a hash mismatch the body errors before its last chunk: pipeline destroys the response,
    // so the client sees a cut-off transfer (fewer bytes than Content-Length), never a valid one.
    await pipeline(object.body, res);
  } catch (err) {
    // The client went away (seeking aborts requests), S3 broke off, or the bytes failed their check.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      log.warn('evidence stream ended early', { orderId, kind: row.kind, error: (err as Error).message });
    }
  }
}
