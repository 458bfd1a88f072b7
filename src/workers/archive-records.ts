import { Prisma } from '../generated/prisma/client';
import type { Db } from '../shared/db';

/**
 * The archiver's writes to PostgreSQL, each one statement (a data-modifying CTE where a status
 * change and its timeline line go together), so one archived order costs four round trips: start,
 * one per stored file, finish. A statement is atomic: a worker killed between two of them leaves
 * either the step done with its timeline line or neither, never one without the other.
 */

/** Statuses after which an order is never archived again. */
export const TERMINAL_STATUSES = ['ARCHIVED', 'NO_RESULT', 'EVIDENCE_MISSING', 'FAILED', 'EXPIRED', 'PURGED'] as const;

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
export async function startArchive(db: Db, appId: string, orderNo: string): Promise<StartedOrder | 'missing' | 'terminal'> {
  const rows = await db.$queryRaw<{ id: string; created_at: Date; archive_attempts: number; stored: string[] | null }[]>`
    WITH o AS (
      UPDATE orders SET status = 'ARCHIVING', archive_attempts = archive_attempts + 1, updated_at = now()
      WHERE app_id = ${appId} AND order_no = ${orderNo} AND status::text <> ALL(${[...TERMINAL_STATUSES]}::text[])
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
  return { id: row.id, appId, orderNo, createdAt: row.created_at, archiveAttempts: row.archive_attempts, stored: row.stored ?? [] };
}

export interface EvidenceRow {
  kind: string;
  key: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

/**
 * Records one fully stored object (insert, or replace the row of the same kind) with its timeline
 * lines, in one statement.
 */
export async function recordEvidence(db: Db, orderId: string, row: EvidenceRow, events: readonly TimelineEvent[]): Promise<void> {
  await db.$executeRaw`
    WITH e AS (
      INSERT INTO evidence (order_id, kind, key, bytes, sha256, content_type, stored_at)
      VALUES (${orderId}::uuid, ${row.kind}, ${row.key}, ${BigInt(row.bytes)}, ${row.sha256}, ${row.contentType}, now())
      ON CONFLICT (order_id, kind) DO UPDATE
        SET key = EXCLUDED.key, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256,
            content_type = EXCLUDED.content_type, stored_at = EXCLUDED.stored_at
      RETURNING order_id
    )
    INSERT INTO order_events (order_id, type, detail, created_at)
    SELECT e.order_id, v.type, v.detail, now()
    FROM e CROSS JOIN ${eventRows(events)}
    ORDER BY v.n`;
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

/**
 * Updates the order and appends timeline lines in one statement. `fields` are Prisma field names
 * from COLUMNS; `archivedAt: true` sets archived_at to the statement's time.
 */
export async function updateOrder(
  db: Db,
  orderId: string,
  fields: Record<string, unknown>,
  events: readonly TimelineEvent[],
  opts: { archivedAt?: boolean } = {},
): Promise<void> {
  const sets: Prisma.Sql[] = [Prisma.sql`updated_at = now()`];
  if (opts.archivedAt) sets.push(Prisma.sql`archived_at = now()`);
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const column = COLUMNS[field];
    if (!column) throw new Error(`updateOrder: unknown order field ${field}`);
    const param = column.cast === 'jsonb' ? (value === null ? null : JSON.stringify(value)) : value;
    sets.push(Prisma.sql`${Prisma.raw(column.name)} = ${param}${column.cast ? Prisma.raw(`::${column.cast}`) : Prisma.empty}`);
  }
  if (events.length === 0) {
    await db.$executeRaw`UPDATE orders SET ${Prisma.join(sets)} WHERE id = ${orderId}::uuid`;
    return;
  }
  await db.$executeRaw`
    WITH o AS (UPDATE orders SET ${Prisma.join(sets)} WHERE id = ${orderId}::uuid RETURNING id)
    INSERT INTO order_events (order_id, type, detail, created_at)
    SELECT o.id, v.type, v.detail, now()
    FROM o CROSS JOIN ${eventRows(events)}
    ORDER BY v.n`;
}

/** The events as rows `v(type, detail, n)`, `n` keeping their order (their ids follow it). */
function eventRows(events: readonly TimelineEvent[]): Prisma.Sql {
  const json = JSON.stringify(events.map((e) => ({ type: e.type, detail: e.detail ?? null })));
  return Prisma.sql`ROWS FROM (jsonb_to_recordset(${json}::jsonb) AS (type text, detail jsonb)) WITH ORDINALITY AS v(type, detail, n)`;
}
