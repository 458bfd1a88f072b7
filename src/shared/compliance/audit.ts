import { createHash } from 'node:crypto';
import type { Db } from '../platform/db';
import { formatInstant } from '../platform/display-time';
import { badRequest } from '../platform/errors';
import type { AuditEntry, Prisma } from '../../generated/prisma/client';
import { decodeCursor, encodeCursor, keysetAfter } from '../platform/keyset';

/**
 * The audit trail: who did what, when, from where, to which order or object. Append-only: this
 * module only inserts and reads, a trigger in the database rejects UPDATE, DELETE and TRUNCATE, and
 * the runtime role may only SELECT and INSERT. An insert trigger chains each row to the previous
 * one by hash (see audit-chain.ts); it holds the chain head's row lock until commit, so inside a
 * transaction write the audit row last (every caller does), keeping the lock short and the lock
 * order the same everywhere.
 */
export const AUDIT_ACTIONS = [
  'login',
  'logout',
  'access',
  'search',
  'view',
  'reveal',
  'download',
  'verify',
  'export',
  'requeue',
  'user.list',
  'user.create',
  'user.disable',
  'user.scope',
  'user.unlock',
  'token.list',
  'token.create',
  'token.revoke',
  'audit.search',
  'audit.export',
  'audit.verify',
  // The console's order list as CSV, and the callback-attempts view.
  'orders.export',
  'callbacks.search',
  // Done by the service itself (actor system:...): orders recovered or expired by the sweeper, evidence purged by retention.
  'recover',
  'expire',
  'purge',
  // Stored evidence found missing or altered by a read, a verify, the archiver or the scrubber.
  'integrity',
  // Orders registered in a batch from the CLI (the partner API's POST /api/orders is not staff activity).
  'register',
  // A verification started from the CLI (the partner API's POST /api/verifications is on the order's timeline).
  'verification.start',
  // A partner backend read an order's result (GET /api/orders…), with or without personal data.
  'partner.read',
  // Webhook endpoints managed by staff (CLI or console); `webhook.auto_disable` is the service's own.
  'webhook.add',
  'webhook.list',
  'webhook.disable',
  'webhook.enable',
  'webhook.rotate_secret',
  'webhook.replay',
  'webhook.auto_disable',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditWrite {
  /** user:<name>, cli:<os user>, partner-token:<id>, or anonymous. */
  actor: string;
  actorRole?: string | null;
  action: AuditAction;
  outcome: AuditOutcome;
  order?: { id: string; appId: string; orderNo: string } | null;
  target?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Action-specific facts. Never personal data (ID numbers, names) nor secrets. */
  detail?: Record<string, unknown> | null;
  /** The staff API token the actor used: its id and issuer go into `detail` (tokenId, tokenIssuedBy). */
  token?: StaffTokenUse | null;
}

export interface StaffTokenUse {
  id: string;
  issuedBy: string | null;
}

function detailWithToken(entry: Pick<AuditWrite, 'detail' | 'token'>): Record<string, unknown> | null | undefined {
  if (!entry.token) return entry.detail;
  return { ...(entry.detail ?? {}), tokenId: entry.token.id, tokenIssuedBy: entry.token.issuedBy ?? 'unrecorded' };
}

const clip = (v: string | null | undefined, max: number) => (v == null ? null : v.slice(0, max));

/** The row to insert, for callers that write it inside their own transaction. */
export function auditData(entry: AuditWrite): Prisma.AuditEntryCreateInput {
  return {
    actor: clip(entry.actor, 200) ?? 'anonymous',
    actorRole: entry.actorRole ?? null,
    action: entry.action,
    outcome: entry.outcome,
    appId: entry.order?.appId ?? null,
    orderNo: entry.order?.orderNo ?? null,
    orderId: entry.order?.id ?? null,
    target: clip(entry.target, 500),
    ip: clip(entry.ip, 100),
    userAgent: clip(entry.userAgent, 300),
    detail: (detailWithToken(entry) ?? undefined) as Prisma.InputJsonValue | undefined,
  };
}

/** Who acts and from where, as the routes and the CLI pass it down to shared operations. */
export interface AuditContext {
  actor: string;
  actorRole?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  token?: StaffTokenUse | null;
}

/** Denials of one kind (address, action, actor, reason) within this window are folded. */
const DENIAL_FOLD_WINDOW_SECONDS = 600;

/**
 * Appends one row. Denials of anonymous requests fold (a known principal's refusals are few and
 * each one matters): junk from the internet (a junk Bearer token 500 times) must not
 * grow the trail without bound, yet the trail stays append-only, so instead of updating a row
 * the repeats are counted in `audit_fold_counts` and a row is written only for the first denial
 * of its kind in a window and at each power of ten (10th, 100th, …), carrying
 * `detail.repeat = { count, windowStart, windowSeconds }`. Kind: same address, action, actor,
 * reason (`detail.reason`, else `detail.status`) and target — any target once an address is
 * past its failure limit (reason `rate_limited`, see createAuth).
 */
export async function recordAudit(db: Db, entry: AuditWrite): Promise<void> {
  let data = entry;
  if (entry.outcome === 'denied' && entry.actor === 'anonymous') {
    const fold = await countDenial(db, entry).catch(() => undefined);
    // The counter could not be reached: the denial is written as it is (never lost).
    if (fold && !isCheckpoint(fold.count)) return;
    if (fold && fold.count > 1) {
      data = {
        ...entry,
        detail: {
          ...entry.detail,
          repeat: {
            count: fold.count,
            windowStart: fold.windowStart.toISOString(),
            windowSeconds: DENIAL_FOLD_WINDOW_SECONDS,
          },
        },
      };
    }
  }
  await db.auditEntry.create({ data: auditData(data), select: { id: true } });
}

function isCheckpoint(n: number): boolean {
  if (n === 1) return true;
  for (let p = 10; p <= n; p *= 10) if (p === n) return true;
  return false;
}

async function countDenial(db: Db, entry: AuditWrite): Promise<{ count: number; windowStart: Date }> {
  const windowMs = DENIAL_FOLD_WINDOW_SECONDS * 1000;
  const windowStart = new Date(Math.floor(Date.now() / windowMs) * windowMs);
  const reason = entry.detail?.reason ?? entry.detail?.status ?? null;
  // The target too (one row per route refused), except for refusals by the per-address limit,
  // which fold across every route: an address past its limit costs one counter update per request.
  const target = reason === 'rate_limited' ? null : (entry.target ?? null);
  const kind = JSON.stringify([entry.action, entry.actor, entry.ip ?? null, reason, target, windowStart.getTime()]);
  const key = createHash('sha256').update(kind).digest('hex');
  const [row] = await db.$queryRaw<{ count: number }[]>`
    INSERT INTO audit_fold_counts (fold_key) VALUES (${key})
    ON CONFLICT (fold_key) DO UPDATE SET count = audit_fold_counts.count + 1
    RETURNING count`;
  const count = Number(row?.count ?? 1);
  // Counters of windows long closed are of no use; one in a hundred first denials sweeps them.
  if (count === 1 && Math.random() < 0.01)
    await db.$executeRaw`DELETE FROM audit_fold_counts WHERE created_at < now() - interval '1 day'`;
  return { count, windowStart };
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: string;
  orderNo?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit?: number;
}

function where(f: AuditFilter): Prisma.AuditEntryWhereInput {
  const w: Prisma.AuditEntryWhereInput = {};
  if (f.actor) w.actor = f.actor.includes(':') || f.actor === 'anonymous' ? f.actor : `user:${f.actor}`;
  if (f.action) w.action = f.action;
  if (f.outcome) w.outcome = f.outcome;
  if (f.orderNo) w.orderNo = f.orderNo;
  if (f.from || f.to) w.at = { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) };
  return w;
}

function bigintId(v: string): bigint {
  if (!/^\d{1,19}$/.test(v)) throw badRequest('invalid cursor');
  return BigInt(v);
}

/** One page of the trail, newest first, keyset-paginated on (at, id). */
export async function searchAudit(db: Db, f: AuditFilter): Promise<{ rows: AuditEntry[]; nextCursor?: string }> {
  const limit = f.limit ?? 50;
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const base = where(f);
  const rows = await db.auditEntry.findMany({
    where: after ? { AND: [base, keysetAfter('at', after, bigintId) as Prisma.AuditEntryWhereInput] } : base,
    orderBy: [{ at: 'desc' }, { id: 'desc' }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id.toString()) : undefined,
  };
}

/** Every matching row, newest first, fetched a batch at a time (for the CSV export). */
export async function* iterateAudit(
  db: Db,
  f: Omit<AuditFilter, 'cursor' | 'limit'>,
  batch = 1000,
): AsyncGenerator<AuditEntry> {
  let cursor: string | undefined;
  do {
    const page = await searchAudit(db, { ...f, cursor, limit: batch });
    yield* page.rows;
    cursor = page.nextCursor;
  } while (cursor);
}

export const AUDIT_CSV_COLUMNS = [
  'id',
  'at',
  'actor',
  'actor_role',
  'action',
  'outcome',
  'app_id',
  'order_no',
  'order_id',
  'target',
  'ip',
  'user_agent',
  'detail',
] as const;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  // Instants in the display zone with its offset, like every other place staff read them.
  if (value instanceof Date) return formatInstant(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A CSV cell: quoted, and defused against spreadsheet formula injection (=, +, -, @ prefixes). */
export function csvCell(value: unknown): string {
  let s = cellText(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

export function auditCsvLine(row: AuditEntry): string {
  return (
    [
      row.id.toString(),
      row.at,
      row.actor,
      row.actorRole,
      row.action,
      row.outcome,
      row.appId,
      row.orderNo,
      row.orderId,
      row.target,
      row.ip,
      row.userAgent,
      row.detail,
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}
