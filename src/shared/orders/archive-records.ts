import { Prisma, type OrderStatus } from '../../generated/prisma/client';
import type { Db } from '../platform/db';
import { addOrderEvent } from './callback-results';
import { archiveOutcomeEventsSql } from './partner-events';
import {
  allowedFrom,
  fromStatus,
  fromStatusSql,
  isStatus,
  TransitionRefusedError,
  type TransitionName,
} from './lifecycle';

/**
 * The archiver's writes to PostgreSQL, each one statement (data-modifying CTEs), so an archived
 * order costs two round trips: start, and finish — the finish writes the evidence rows of the files
 * the query stored, their timeline lines, the result columns, the final status and `archived`
 * together. A statement is atomic: a worker killed between two leaves a step either recorded
 * whole or not at all, and never an evidence row for an object that is not complete in S3.
 */

/** The transitions an archive job makes through `recordStep`. */
const ARCHIVER_STEPS: readonly TransitionName[] = ['archiveOutcome', 'rearchived', 'attemptFailed', 'gaveUp'];

export interface TimelineEvent {
  type: string;
  detail?: Prisma.InputJsonValue;
}

/** An order the archiver has started: its id, date (for keys) and the evidence kinds already stored. */
export interface StartedOrder {
  id: string;
  appId: string;
  orderNo: string;
  createdAt: Date;
  archiveAttempts: number;
  stored: string[];
}

/**
 * Marks the order ARCHIVING, counts the attempt and adds `archive_started` to its timeline, and
 * returns it with the kinds of evidence it already has; `missing` when there is no such order,
 * `terminal` when it is past archiving (nothing is changed then).
 */
export async function startArchive(
  db: Db,
  appId: string,
  orderNo: string,
): Promise<StartedOrder | 'missing' | 'terminal'> {
  const rows = await db.$queryRaw<
    { id: string; created_at: Date; archive_attempts: number; stored: string[] | null }[]
  >`
    WITH o AS (
      UPDATE orders SET status = 'ARCHIVING', archive_attempts = archive_attempts + 1, updated_at = now()
      WHERE app_id = ${appId} AND order_no = ${orderNo} AND ${fromStatusSql('archiveStarted')}
      RETURNING id, created_at, archive_attempts
    ), ev AS (
      INSERT INTO order_events (order_id, type, detail, created_at)
      SELECT id, 'archive_started', jsonb_build_object('attempt', archive_attempts), now() FROM o
    )
    SELECT o.id, o.created_at, o.archive_attempts,
           (SELECT array_agg(e.kind ORDER BY e.kind) FROM evidence e WHERE e.order_id = o.id) AS stored
    FROM o`;
  const row = rows[0];
  if (!row) {
    const known = await db.order.findUnique({ where: { appId_orderNo: { appId, orderNo } }, select: { id: true } });
    return known ? 'terminal' : 'missing';
  }
  return {
    id: row.id,
    appId,
    orderNo,
    createdAt: row.created_at,
    archiveAttempts: row.archive_attempts,
    stored: row.stored ?? [],
  };
}

/** One object complete in S3, to be recorded as the order's evidence of its kind, with its timeline lines. */
export interface StoredFile {
  kind: string;
  key: string;
  bytes: number;
  sha256: string;
  contentType: string;
  /** `evidence_stored` (preceded by `type_mismatch` when the bytes are not what the kind should be). */
  events: readonly TimelineEvent[];
}

/** The order columns the archiver sets (by Prisma field name), with their SQL names and casts. */
const COLUMNS: Record<string, { name: string; cast?: string }> = {
  status: { name: 'status', cast: '"OrderStatus"' },
  resultCode: { name: 'result_code' },
  resultMsg: { name: 'result_msg' },
  bizSeqNo: { name: 'biz_seq_no' },
  liveRate: { name: 'live_rate' },
  similarity: { name: 'similarity' },
  occurredTime: { name: 'occurred_time' },
  idType: { name: 'id_type' },
  idNoSealed: { name: 'id_no_sealed' },
  nameSealed: { name: 'name_sealed' },
  piiSealed: { name: 'pii_sealed' },
  details: { name: 'details', cast: 'jsonb' },
  lastError: { name: 'last_error' },
};

export interface ArchiveStep {
  /** Objects stored since the last step: rows inserted (or replacing the row of the same kind). */
  files?: readonly StoredFile[];
  /** Order columns by Prisma field name (see COLUMNS); `undefined` values are left as they are. */
  fields?: Record<string, unknown>;
  /** Timeline lines after the files' own. */
  events?: readonly TimelineEvent[];
  /** Set archived_at to the statement's time. */
  archivedAt?: boolean;
}

/**
 * Records one step of an archive run in one statement: the stored files' evidence rows, the
 * order's columns (updated_at always) and the timeline lines, files' first, in order. A step that
 * sets the status is one of the archiver's transitions and is written only while the order is in
 * one of its from-statuses: a stale job (its order finished meanwhile by another run) writes
 * nothing and gets a TransitionRefusedError. It must carry a timeline line saying why.
 */
export async function recordStep(db: Db, orderId: string, step: ArchiveStep): Promise<void> {
  const status = archiverStatus(step.fields?.status);
  const guard = status ? Prisma.sql` AND ${fromStatusSql(allowedFrom(status, ARCHIVER_STEPS))}` : Prisma.empty;
  const sets: Prisma.Sql[] = [Prisma.sql`updated_at = now()`];
  if (step.archivedAt) sets.push(Prisma.sql`archived_at = now()`);
  for (const [field, value] of Object.entries(step.fields ?? {})) {
    if (value === undefined) continue;
    const column = COLUMNS[field];
    if (!column) throw new Error(`recordStep: unknown order field ${field}`);
    const param = column.cast === 'jsonb' ? (value === null ? null : JSON.stringify(value)) : value;
    sets.push(
      Prisma.sql`${Prisma.raw(column.name)} = ${param}${column.cast ? Prisma.raw(`::${column.cast}`) : Prisma.empty}`,
    );
  }
  const files = step.files ?? [];
  const events = [...files.flatMap((f) => f.events), ...(step.events ?? [])];
  if (status !== undefined && events.length === 0)
    throw new Error('recordStep: a status change needs its timeline line');
  const rows = JSON.stringify(
    files.map((f) => ({ kind: f.kind, key: f.key, bytes: f.bytes, sha256: f.sha256, content_type: f.contentType })),
  );
  // A step that sets the status records the partner events it means in the same statement.
  const partnerEvents = status ? Prisma.sql`, pe AS (${archiveOutcomeEventsSql})` : Prisma.empty;
  const written = await db.$executeRaw`
    WITH o AS (
      UPDATE orders SET ${Prisma.join(sets)} WHERE id = ${orderId}::uuid${guard} RETURNING id, status, result_code
    )${partnerEvents}, ev AS (
      INSERT INTO evidence (order_id, kind, key, bytes, sha256, content_type, stored_at)
      SELECT o.id, f.kind, f.key, f.bytes, f.sha256, f.content_type, now()
      FROM o CROSS JOIN jsonb_to_recordset(${rows}::jsonb) AS f(kind text, key text, bytes bigint, sha256 text, content_type text)
      ON CONFLICT (order_id, kind) DO UPDATE
        SET key = EXCLUDED.key, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256,
            content_type = EXCLUDED.content_type, stored_at = EXCLUDED.stored_at,
            -- stored again whole: an earlier integrity failure no longer describes this object
            verified_at = NULL, verified_etag = NULL, integrity_failed_at = NULL, integrity_problem = NULL
    )
    INSERT INTO order_events (order_id, type, detail, created_at)
    SELECT o.id, v.type, v.detail, now()
    FROM o CROSS JOIN ${eventRows(events)}
    ORDER BY v.n`;
  // No timeline line written although there were some: nothing was written, because the order is
  // gone or (with a status) the lifecycle refused the change.
  if (written === 0 && events.length > 0) {
    const now = await db.order.findUnique({ where: { id: orderId }, select: { status: true } });
    if (now && status) throw new TransitionRefusedError(orderId, now.status, status);
    throw new Error(`order ${orderId} no longer exists`);
  }
}

/** The status a step sets, if any; one the archiver's transitions never lead to is refused. */
function archiverStatus(value: unknown): OrderStatus | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isStatus(value) && allowedFrom(value, ARCHIVER_STEPS).length > 0) return value;
  throw new Error('recordStep: not a status the archiver sets');
}

/**
 * A job cancelled by a worker shutting down: its order goes back to QUEUED for the worker that
 * takes the job next, and the timeline says so (the line even if the order had moved on).
 */
export async function releaseToQueue(db: Db, orderId: string): Promise<void> {
  await db.order
    .updateMany({ where: { id: orderId, status: fromStatus('released') }, data: { status: 'QUEUED' } })
    .then(() => addOrderEvent(db, orderId, 'archive_released', { reason: 'worker shutting down' }));
}

/** The events as rows `v(type, detail, n)`, `n` keeping their order (their ids follow it). */
function eventRows(events: readonly TimelineEvent[]): Prisma.Sql {
  const json = JSON.stringify(events.map((e) => ({ type: e.type, detail: e.detail ?? null })));
  return Prisma.sql`ROWS FROM (jsonb_to_recordset(${json}::jsonb) AS (type text, detail jsonb)) WITH ORDINALITY AS v(type, detail, n)`;
}
