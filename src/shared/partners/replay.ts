import { z } from 'zod';
import type { Db } from '../platform/db';
import { badRequest, notFound } from '../platform/errors';
import { recordAudit, type AuditContext } from '../compliance/audit';
import { getEndpoint } from './webhook-endpoints';

/**
 * Manual replay (CLI and console, audited): one event, or every event of a time range, goes to an
 * endpoint again — with the same `webhook-id`, so a de-duplicating receiver that already has it
 * ignores it — or for the first time when the endpoint was added after the event. Each replayed
 * delivery is pending again with a new job (its outbox mark set); the fan-out's relay enqueues it.
 */
export interface ReplayRequest {
  endpointId: string;
  /** One event (its `webhook-id`, `evt_…`, or the bare UUID)… */
  eventId?: string;
  /** …or every event created in [from, to). */
  from?: Date;
  to?: Date;
}

/** `evt_<32 hex>` (the webhook-id) or a UUID, as the event's UUID. */
export function eventUuid(value: string): string {
  const hex = /^evt_([0-9a-f]{32})$/i.exec(value)?.[1];
  const uuid = hex
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : value;
  if (!z.uuid().safeParse(uuid).success) throw badRequest('event id must be evt_… or a UUID');
  return uuid.toLowerCase();
}

export async function replay(db: Db, req: ReplayRequest, ctx: AuditContext): Promise<number> {
  const endpoint = await getEndpoint(db, req.endpointId);
  if (!req.eventId && !(req.from && req.to)) throw badRequest('replay needs an event id or a time range (from, to)');
  if (req.from && req.to && req.from >= req.to) throw badRequest('the range is empty (from must be before to)');
  const eventId = req.eventId ? eventUuid(req.eventId) : null;
  if (eventId && !(await db.webhookEvent.findUnique({ where: { id: eventId }, select: { id: true } })))
    throw notFound('no such event');
  const appId = endpoint.appId;
  const n = await db.$executeRaw`
    INSERT INTO webhook_deliveries (event_id, endpoint_id, order_id, seq, status, enqueue_pending, created_at, updated_at)
    SELECT e.id, ${endpoint.id}::uuid, e.order_id, e.seq, 'pending', true, now(), now()
    FROM webhook_events e JOIN orders o ON o.id = e.order_id
    WHERE e.fanned_out_at IS NOT NULL
      AND (${eventId}::uuid IS NULL OR e.id = ${eventId}::uuid)
      AND (${req.from ?? null}::timestamptz IS NULL OR e.created_at >= ${req.from ?? null}::timestamptz)
      AND (${req.to ?? null}::timestamptz IS NULL OR e.created_at < ${req.to ?? null}::timestamptz)
      AND (${appId}::text IS NULL OR o.app_id = ${appId}::text)
      AND (cardinality(${endpoint.events}::text[]) = 0 OR e.type = ANY(${endpoint.events}::text[]))
    ORDER BY e.seq
    ON CONFLICT (event_id, endpoint_id) DO UPDATE
      SET status = 'pending', replays = webhook_deliveries.replays + 1, enqueue_pending = true,
          next_attempt_at = NULL, created_at = now(), updated_at = now()`;
  await recordAudit(db, {
    ...ctx,
    action: 'webhook.replay',
    outcome: 'success',
    target: `webhook:${endpoint.id}`,
    detail: {
      event: req.eventId ?? null,
      from: req.from?.toISOString() ?? null,
      to: req.to?.toISOString() ?? null,
      deliveries: n,
    },
  });
  return n;
}
