import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { auditCsvLine, AUDIT_CSV_COLUMNS, iterateAudit, searchAudit } from '../../shared/compliance/audit';
import { AppError, badRequest, notFound, unauthorized } from '../../shared/platform/errors';
import { exportNotConfigured, loadSigner, writeExportPackage } from '../../shared/compliance/export-package';
import { componentLogger } from '../../shared/platform/logger';
import {
  createStaffUser,
  disableStaffUser,
  findStaffUser,
  listStaffUsers,
  usernameSchema,
} from '../../shared/compliance/staff/accounts';
import { isMissingObject } from '../../shared/evidence/evidence-access';
import { verifyOrderEvidence } from '../../shared/compliance/integrity';
import { openPii } from '../../shared/compliance/mask';
import { loadOrderRecord, orderRef } from '../../shared/compliance/order-record';
import { orderSearchSchema, searchOrders } from '../../shared/compliance/order-search';
import { requeueOrder } from '../../shared/compliance/staff-requeue';
import { orderIdParam } from '../../shared/platform/uuid';
import { login } from '../auth/login';
import { endSession } from '../auth/sessions';
import { createApiToken, listApiTokens, revokeApiToken } from '../../shared/compliance/staff/api-tokens';
import { ordersAtRisk } from '../../shared/compliance/orders-at-risk';
import { audit, audited, auditContext, markAudited, staffOf, type RouteDeps } from './deps';
import { parseRange } from './range';
import { auditSearchSchema, createTokenSchema, createUserSchema, evidenceKindSchema, loginSchema } from './schemas';
import { parseInput } from './validate';
import { orderView, servedType } from '../../shared/compliance/order-view';

const log = componentLogger('console');

async function loadOrderFor(deps: RouteDeps, req: Request, res: Response) {
  const record = await loadOrderRecord(deps.db, orderIdParam(req.params.id as string));
  res.locals.auditOrder = orderRef(record);
  return record;
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
  const size = Number(row.bytes);
  const rangeHeader = req.get('range');
  const range = parseRange(rangeHeader, size);
  const served = servedType(row.contentType);
  const download = req.query.download === '1' || !served.inline;
  const detail = {
    kind: row.kind,
    range:
      range.kind === 'partial'
        ? `${range.start}-${range.end}`
        : range.kind === 'full'
          ? 'full'
          : rangeHeader?.slice(0, 40),
    download,
  };
  if (range.kind === 'unsatisfiable') {
    await audit(deps, req, res, {
      action: 'download',
      outcome: 'failure',
      order: orderRef(row.order),
      target: row.kind,
      detail: { ...detail, status: 416 },
    });
    res.status(416).set('Content-Range', `bytes */${size}`).set('Accept-Ranges', 'bytes').end();
    return;
  }
  let object;
  try {
    object = await deps.evidence.get(
      row.key,
      range.kind === 'partial' ? `bytes=${range.start}-${range.end}` : undefined,
    );
  } catch (err) {
    if (isMissingObject(err))
      throw new AppError('evidence_missing', 404, 'the evidence object is missing from storage; run verify');
    throw err;
  }
  await audit(deps, req, res, {
    action: 'download',
    outcome: 'success',
    order: orderRef(row.order),
    target: row.kind,
    detail,
  });
  const filename = `${row.order.orderNo}-${row.kind}.${served.ext}`;
  res.status(range.kind === 'partial' ? 206 : 200);
  res.set({
    'Content-Type': served.type,
    'Content-Length': String(range.kind === 'partial' ? range.end - range.start + 1 : size),
    'Accept-Ranges': 'bytes',
    ETag: `"${row.sha256}"`,
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
    await pipeline(object.body, res);
  } catch (err) {
    // The client went away (seeking aborts requests) or S3 broke off; nothing more to send.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      log.warn('evidence stream ended early', { orderId, kind: row.kind, error: (err as Error).message });
    }
  }
}

/** Builds the package in a temporary file (so a failed integrity check can still answer 409), then sends it. */
async function sendExport(deps: RouteDeps, req: Request, res: Response): Promise<void> {
  const record = await loadOrderFor(deps, req, res);
  const signer = loadSigner(deps.cfg);
  if (!signer) throw exportNotConfigured();
  const staff = staffOf(res);
  const file = path.join(tmpdir(), `faceid-export-${randomBytes(8).toString('hex')}.zip`);
  try {
    const { manifest, sha256, bytes } = await writeExportPackage(deps, record, {
      exportedBy: staff.actor,
      outPath: file,
      signer,
    });
    await audit(deps, req, res, {
      action: 'export',
      outcome: 'success',
      order: orderRef(record),
      detail: {
        packageSha256: sha256,
        bytes,
        files: manifest.files.map((f) => ({ kind: f.kind, sha256: f.sha256 })),
        signingKey: signer.fingerprint,
      },
    });
    res.status(200).set({
      'Content-Type': 'application/zip',
      'Content-Length': String(bytes),
      'Content-Disposition': `attachment; filename="evidence-${record.orderNo}.zip"`,
      'Cache-Control': 'private, no-store',
      'X-Package-SHA256': sha256,
    });
    await pipeline(createReadStream(file), res).catch((err: Error) =>
      log.warn('export download ended early', { error: err.message }),
    );
  } finally {
    await rm(file, { force: true });
  }
}

/** The JSON API (mounted under /api of the console); also serves evidence bytes and packages. */
export function apiRoutes(deps: RouteDeps): Router {
  const { db, cfg, auth } = deps;
  const r = Router();
  const viewer = (action: Parameters<typeof audited>[1]) => auth.requireStaff('viewer', { action });
  const auditor = (action: Parameters<typeof audited>[1]) => auth.requireStaff('auditor', { action });
  const admin = (action: Parameters<typeof audited>[1]) => auth.requireStaff('admin', { action });

  r.post('/login', async (req, res) => {
    if (!req.is('application/json')) throw badRequest('send JSON: {"username": "...", "password": "..."}');
    const body = parseInput(loginSchema, req.body, 'login');
    const result = await login(deps, req, res, body);
    if (!result.ok) {
      if (result.retryAfterSeconds) res.set('Retry-After', String(result.retryAfterSeconds));
      throw result.status === 429 ? new AppError('rate_limited', 429, result.message) : unauthorized(result.message);
    }
    res.json({ user: { username: result.user.username, role: result.user.role }, csrfToken: result.csrfToken });
  });

  r.post(
    '/logout',
    viewer('logout'),
    audited(deps, 'logout', async (req, res) => {
      await endSession(db, cfg, req, res);
      await audit(deps, req, res, { action: 'logout', outcome: 'success' });
      res.status(204).end();
    }),
  );

  r.get(
    '/orders',
    viewer('search'),
    audited(deps, 'search', async (req, res) => {
      const f = parseInput(orderSearchSchema, req.query, 'search');
      const result = await searchOrders(db, cfg, f);
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

  r.get(
    '/orders-at-risk',
    viewer('search'),
    audited(deps, 'search', async (req, res) => {
      const result = await ordersAtRisk(deps.db, deps.cfg);
      await audit(deps, req, res, {
        action: 'search',
        outcome: 'success',
        detail: { view: 'at-risk', results: result.orders.length },
      });
      res.json(result);
    }),
  );

  r.get(
    '/orders/:id',
    viewer('view'),
    audited(deps, 'view', async (req, res) => {
      const record = await loadOrderFor(deps, req, res);
      await audit(deps, req, res, { action: 'view', outcome: 'success', order: orderRef(record) });
      res.set('Cache-Control', 'no-store').json(orderView(cfg, record));
    }),
  );

  r.post(
    '/orders/:id/reveal',
    auditor('reveal'),
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

  r.get(
    '/orders/:id/evidence/:kind',
    viewer('download'),
    audited(deps, 'download', (req, res) => sendEvidence(deps, req, res)),
  );

  r.post(
    '/orders/:id/verify',
    viewer('verify'),
    audited(deps, 'verify', async (req, res) => {
      const record = await loadOrderFor(deps, req, res);
      const report = await verifyOrderEvidence(deps, record, auditContext(req, res));
      markAudited(res);
      res.json(report);
    }),
  );

  r.post(
    '/orders/:id/export',
    auditor('export'),
    audited(deps, 'export', (req, res) => sendExport(deps, req, res)),
  );

  r.post(
    '/orders/:id/requeue',
    admin('requeue'),
    audited(deps, 'requeue', async (req, res) => {
      const record = await loadOrderFor(deps, req, res);
      const result = await requeueOrder(deps, record, auditContext(req, res));
      markAudited(res);
      res.json({ ...result, status: 'QUEUED' });
    }),
  );

  r.get(
    '/audit',
    auditor('audit.search'),
    audited(deps, 'audit.search', async (req, res) => {
      const f = parseInput(auditSearchSchema, req.query, 'audit filter');
      const result = await searchAudit(db, f);
      await audit(deps, req, res, {
        action: 'audit.search',
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
      res.set('Cache-Control', 'no-store').json({
        entries: result.rows.map((a) => ({ ...a, id: a.id.toString() })),
        nextCursor: result.nextCursor ?? null,
      });
    }),
  );

  r.get(
    '/audit.csv',
    auditor('audit.export'),
    audited(deps, 'audit.export', async (req, res) => {
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
      for await (const row of iterateAudit(db, { ...f, to: f.to && f.to < before ? f.to : before })) {
        if (!res.write(auditCsvLine(row))) await new Promise((resolve) => res.once('drain', resolve));
        if (res.destroyed) return;
      }
      res.end();
    }),
  );

  r.get(
    '/users',
    admin('user.list'),
    audited(deps, 'user.list', async (req, res) => {
      const users = await listStaffUsers(db);
      await audit(deps, req, res, { action: 'user.list', outcome: 'success', detail: { users: users.length } });
      res.json({ users });
    }),
  );

  r.post(
    '/users',
    admin('user.create'),
    audited(deps, 'user.create', async (req, res) => {
      const body = parseInput(createUserSchema, req.body, 'user');
      const user = await createStaffUser(db, body);
      await audit(deps, req, res, {
        action: 'user.create',
        outcome: 'success',
        target: `user:${user.username}`,
        detail: { role: user.role },
      });
      res.status(201).json({ user });
    }),
  );

  r.post(
    '/users/:username/disable',
    admin('user.disable'),
    audited(deps, 'user.disable', async (req, res) => {
      const username = parseInput(usernameSchema, req.params.username, 'username');
      if (username === staffOf(res).username) throw badRequest('you cannot disable your own account');
      const user = await disableStaffUser(db, username);
      await audit(deps, req, res, { action: 'user.disable', outcome: 'success', target: `user:${user.username}` });
      res.json({ user });
    }),
  );

  r.get(
    '/tokens',
    admin('token.list'),
    audited(deps, 'token.list', async (req, res) => {
      const tokens = await listApiTokens(db);
      await audit(deps, req, res, { action: 'token.list', outcome: 'success', detail: { tokens: tokens.length } });
      res.json({ tokens });
    }),
  );

  r.post(
    '/tokens',
    admin('token.create'),
    audited(deps, 'token.create', async (req, res) => {
      const body = parseInput(createTokenSchema, req.body, 'token');
      let staffUserId: string | undefined;
      if (body.kind === 'staff') {
        const user = await findStaffUser(db, body.username!);
        if (!user || user.disabledAt) throw badRequest('username: no such active user');
        staffUserId = user.id;
      }
      const { token, info } = await createApiToken(db, cfg, {
        kind: body.kind,
        name: body.name,
        staffUserId,
        appKey: body.appKey,
      });
      await audit(deps, req, res, {
        action: 'token.create',
        outcome: 'success',
        target: `token:${info.id}`,
        detail: {
          kind: info.kind,
          name: info.name,
          ...(body.username ? { actsAs: `user:${body.username}` } : {}),
          appKey: info.appKey,
        },
      });
      res.status(201).set('Cache-Control', 'no-store').json({ token, info, note: 'shown once: store it now' });
    }),
  );

  r.post(
    '/tokens/:id/revoke',
    admin('token.revoke'),
    audited(deps, 'token.revoke', async (req, res) => {
      const info = await revokeApiToken(db, req.params.id as string);
      await audit(deps, req, res, {
        action: 'token.revoke',
        outcome: 'success',
        target: `token:${info.id}`,
        detail: { kind: info.kind, name: info.name },
      });
      res.json({ info });
    }),
  );

  return r;
}
