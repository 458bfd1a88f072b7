import { createHash } from 'node:crypto';
import type { Db } from '../platform/db';
import type { Product } from '../platform/config';
import type { Prisma } from '../../generated/prisma/client';
import { fromStatus, inGroup, target, TRANSITIONS } from './lifecycle';

export interface VerifiedResult {
  appId: string;
  orderNo: string;
  product: Product;
  code: string;
  h5faceId?: string;
  channel: 'redirect' | 'app_sdk';
  ticketMatched: string;
  params: Record<string, string>;
  clientIp?: string;
  userAgent?: string;
}

export type RecordVerdict = 'accepted' | 'duplicate' | 'conflict' | 'late';

export interface RecordOutcome {
  orderId: string;
  verdict: RecordVerdict;
  /** The code kept on the order (the first verified one). */
  code: string;
  /** True when this request created the outbox mark and should try to enqueue now. */
  enqueue: boolean;
  /** WeBank's own answer (the archiver's query) when the order already has one: it outranks any redirect. */
  authoritativeCode?: string;
}

/**
 * Records a verified result (redirect or App SDK) in one transaction: the order, its outbox
 * mark and the callback event. A repeated callback adds only an event; a different code for
 * the same order keeps the first one (`conflict`); a result for an order already archived or
 * recovered is recorded as `late` and queues nothing.
 */
export async function recordVerifiedResult(db: Db, r: VerifiedResult): Promise<RecordOutcome> {
  return db.$transaction(async (tx) => {
    const now = new Date();
    const source = r.channel === 'app_sdk' ? 'APP_SDK' : 'CALLBACK';
    // INSERT .. ON CONFLICT keeps two simultaneous callbacks from both creating the order.
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO orders (id, app_id, order_no, product, status, source, callback_code, h5face_id,
                          verified_at, enqueue_pending, created_at, updated_at)
      VALUES (gen_random_uuid(), ${r.appId}, ${r.orderNo}, ${r.product}, 'QUEUED', ${source}::"OrderSource",
              ${r.code}, ${r.h5faceId ?? null}, ${now}, true, ${now}, ${now})
      ON CONFLICT (app_id, order_no) DO NOTHING
      RETURNING id`;
    let outcome: RecordOutcome;
    if (inserted[0]) {
      outcome = { orderId: inserted[0].id, verdict: 'accepted', code: r.code, enqueue: true };
    } else {
      const [existing] = await tx.$queryRaw<
        {
          id: string;
          status: string;
          callback_code: string | null;
          verified_at: Date | null;
          result_code: string | null;
        }[]
      >`SELECT id, status, callback_code, verified_at, result_code FROM orders
        WHERE app_id = ${r.appId} AND order_no = ${r.orderNo} FOR UPDATE`;
      if (!existing) throw new Error('order vanished during callback recording');
      const authoritative =
        existing.status === 'ARCHIVED' && existing.result_code !== null
          ? { authoritativeCode: existing.result_code }
          : {};
      if (existing.verified_at && existing.callback_code !== null) {
        const verdict = existing.callback_code === r.code ? 'duplicate' : 'conflict';
        // Two verified redirects disagree: one may be a replayed signature (docs/security.md).
        // WeBank's query decides; if it answered "no result" before the user had finished, ask again.
        const requeue =
          verdict === 'conflict' &&
          inGroup(TRANSITIONS.conflictRequeued.from, existing.status) &&
          (
            await tx.order.updateMany({
              where: { id: existing.id, status: fromStatus('conflictRequeued') },
              data: { status: target('conflictRequeued', 'QUEUED'), enqueuePending: true },
            })
          ).count === 1;
        if (requeue)
          await addOrderEvent(tx, existing.id, 'conflict_requeued', { codes: [existing.callback_code, r.code] });
        outcome = { orderId: existing.id, verdict, code: existing.callback_code, enqueue: requeue, ...authoritative };
      } else if (!inGroup(TRANSITIONS.calledBack.from, existing.status)) {
        // Queued already (recovered by the sweeper before the browser came back, or further on):
        // note the callback, archive nothing twice.
        await tx.order.update({
          where: { id: existing.id },
          data: { callbackCode: r.code, h5faceId: r.h5faceId, verifiedAt: now },
        });
        outcome = { orderId: existing.id, verdict: 'late', code: r.code, enqueue: false, ...authoritative };
      } else {
        // A registered (EXPECTED) or expired order whose user finally came back; it keeps its
        // REGISTRATION source, and verifiedAt says the callback came.
        await tx.order.update({
          where: { id: existing.id, status: fromStatus('calledBack') },
          data: {
            status: 'QUEUED',
            callbackCode: r.code,
            h5faceId: r.h5faceId,
            verifiedAt: now,
            enqueuePending: true,
            nextSweepAt: null,
          },
        });
        outcome = { orderId: existing.id, verdict: 'accepted', code: r.code, enqueue: true };
      }
    }
    await tx.callbackEvent.create({
      data: {
        orderId: outcome.orderId,
        channel: r.channel,
        appId: r.appId,
        orderNo: r.orderNo,
        code: r.code,
        verdict: outcome.verdict,
        ticketMatched: r.ticketMatched,
        params: r.params,
        clientIp: r.clientIp,
        userAgent: r.userAgent,
        reason: outcome.verdict === 'conflict' ? `first verified code was ${outcome.code}` : null,
      },
    });
    return outcome;
  });
}

/**
 * Records many verified results in one statement (the callback path's group commit): orders
 * that are new — nearly all of them — are inserted with their outbox mark and `accepted` event
 * by a single INSERT .. ON CONFLICT DO NOTHING with a data-modifying CTE, atomic like the
 * transaction in `recordVerifiedResult`. Whatever that statement did not insert (an order that
 * already exists, a second result for the same order in the batch) then takes
 * `recordVerifiedResult`, one by one and in arrival order, so every verdict is the one a
 * sequential run would give.
 */
export async function recordVerifiedResults(db: Db, rs: readonly VerifiedResult[]): Promise<RecordOutcome[]> {
  const outcomes = new Array<RecordOutcome | undefined>(rs.length);
  const seen = new Set<string>();
  const fresh: number[] = [];
  rs.forEach((r, i) => {
    const key = `${r.appId}\u0000${r.orderNo}`;
    if (!seen.has(key)) fresh.push(i);
    seen.add(key);
  });
  const rows = fresh.map((i) => {
    const r = rs[i]!;
    return {
      i,
      app_id: r.appId,
      order_no: r.orderNo,
      product: r.product,
      source: r.channel === 'app_sdk' ? 'APP_SDK' : 'CALLBACK',
      code: r.code,
      h5face_id: r.h5faceId ?? null,
      channel: r.channel,
      ticket_matched: r.ticketMatched,
      params: r.params,
      client_ip: r.clientIp ?? null,
      user_agent: r.userAgent ?? null,
    };
  });
  const inserted =
    rows.length === 0
      ? []
      : await db.$queryRaw<{ i: number; id: string }[]>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS t(
        i int, app_id text, order_no text, product text, source text, code text, h5face_id text,
        channel text, ticket_matched text, params jsonb, client_ip text, user_agent text)
    ), ins AS (
      INSERT INTO orders (id, app_id, order_no, product, status, source, callback_code, h5face_id,
                          verified_at, enqueue_pending, created_at, updated_at)
      SELECT gen_random_uuid(), app_id, order_no, product, 'QUEUED'::"OrderStatus", source::"OrderSource",
             code, h5face_id, now(), true, now(), now()
      -- One order for every batch, so two batches with overlapping orders cannot deadlock.
      FROM input ORDER BY app_id, order_no
      ON CONFLICT (app_id, order_no) DO NOTHING
      RETURNING id, app_id, order_no
    ), events AS (
      INSERT INTO callback_events (order_id, channel, app_id, order_no, code, verdict, ticket_matched,
                                   params, client_ip, user_agent)
      SELECT ins.id, input.channel, input.app_id, input.order_no, input.code, 'accepted', input.ticket_matched,
             input.params, input.client_ip, input.user_agent
      FROM input JOIN ins ON ins.app_id = input.app_id AND ins.order_no = input.order_no
    )
    SELECT input.i, ins.id FROM input JOIN ins ON ins.app_id = input.app_id AND ins.order_no = input.order_no`;
  for (const row of inserted) {
    outcomes[row.i] = { orderId: row.id, verdict: 'accepted', code: rs[row.i]!.code, enqueue: true };
  }
  for (let i = 0; i < rs.length; i++) outcomes[i] ??= await recordVerifiedResult(db, rs[i]!);
  return outcomes as RecordOutcome[];
}

export interface RejectedCallback {
  channel: 'redirect' | 'app_sdk';
  appId?: string;
  orderNo?: string;
  code?: string;
  /** `frontend_error`: WeBank's H5 page sent a front-end code, unsigned (web/frontend-error.ts). */
  verdict: 'rejected' | 'invalid' | 'unverifiable' | 'frontend_error';
  reason: string;
  params: Record<string, string>;
  clientIp?: string;
  userAgent?: string;
}

/** Refused attempts of one kind (address, app, verdict, reason; order too when rejected) within this window fold into one row. */
export const CALLBACK_FOLD_WINDOW_SECONDS = 600;

/**
 * Records a callback we refused (or a front-end error), so forged or broken attempts stay visible. Invalid and rejected
 * attempts fold: the same address sending the same junk again within the window adds to the first
 * row's `repeatCount` (and `lastSeenAt`) instead of adding a row, so junk cannot grow the table
 * without bound. Unverifiable attempts (our fault, not the sender's) are never folded.
 */
export async function recordRejectedCallback(db: Db, r: RejectedCallback): Promise<void> {
  const order =
    r.appId && r.orderNo
      ? await db.order.findUnique({
          where: { appId_orderNo: { appId: r.appId, orderNo: r.orderNo } },
          select: { id: true },
        })
      : null;
  const data = {
    orderId: order?.id,
    channel: r.channel,
    appId: r.appId,
    orderNo: r.orderNo,
    code: r.code,
    verdict: r.verdict,
    reason: r.reason,
    params: r.params,
    clientIp: r.clientIp,
    userAgent: r.userAgent,
  };
  const foldKey = callbackFoldKey(r);
  if (!foldKey) {
    await db.callbackEvent.create({ data, select: { id: true } });
    return;
  }
  const upsert = () =>
    db.callbackEvent.upsert({
      where: { foldKey },
      create: { ...data, foldKey },
      update: { repeatCount: { increment: 1 }, lastSeenAt: new Date() },
      select: { id: true },
    });
  // Two first attempts at once: one creates, the other's unique violation retries as an update.
  await upsert().catch((err: { code?: string }) => {
    if (err.code === 'P2002') return upsert();
    throw err;
  });
}

function callbackFoldKey(r: RejectedCallback): string | undefined {
  if (r.verdict === 'unverifiable') return undefined;
  const windowMs = CALLBACK_FOLD_WINDOW_SECONDS * 1000;
  const window = Math.floor(Date.now() / windowMs);
  // A forgery (or a front-end error) for an order stays findable by that order: those fold per order number.
  const order = r.verdict === 'rejected' || r.verdict === 'frontend_error' ? (r.orderNo ?? null) : null;
  const kind = JSON.stringify([r.channel, r.appId ?? null, r.verdict, r.reason, r.clientIp ?? null, order, window]);
  return createHash('sha256').update(kind).digest('hex');
}

/** Clears the outbox mark once the job is safely in Redis. */
export async function markEnqueued(db: Db, orderId: string): Promise<void> {
  await markEnqueuedMany(db, [orderId]);
}

/** Clears the outbox marks of many orders whose jobs are in Redis, in one statement. */
export async function markEnqueuedMany(db: Db, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await db.$executeRaw`
    UPDATE orders SET enqueue_pending = false, enqueued_at = now(), updated_at = now()
    WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(orderIds)}::jsonb)::uuid)`;
}

/** Orders whose job may not be in Redis yet, oldest first. */
export async function pendingOutbox(db: Db, appIds: readonly string[], olderThan: Date, limit: number) {
  return db.order.findMany({
    // Only this deployment's apps: another deployment sharing the database relays its own.
    where: { enqueuePending: true, updatedAt: { lt: olderThan }, appId: { in: [...appIds] } },
    select: { id: true, appId: true, orderNo: true, product: true },
    orderBy: { createdAt: 'asc' },
    take: limit,
  });
}

/** Appends a line to an order's archive timeline. */
export async function addOrderEvent(
  db: Db | Prisma.TransactionClient,
  orderId: string,
  type: string,
  detail?: Prisma.InputJsonValue,
): Promise<void> {
  await db.orderEvent.create({ data: { orderId, type, detail } });
}
