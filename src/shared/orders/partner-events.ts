import { Prisma } from '../../generated/prisma/client';
import { RESULT_RECORDED } from './lifecycle';

/**
 * The partner outbox: what a partner is told about an order (`webhook_events`), written in the
 * same statement or transaction as the state change that makes it true, so an outcome is either
 * recorded with its event or not at all. One event per order and type (the event id is what
 * receivers de-duplicate on): a repeated run, a duplicate job or a re-archive records nothing new.
 * src/shared/partners fans the events out to endpoints and delivers them.
 */
export const PARTNER_EVENT_TYPES = [
  'verification.passed',
  'verification.failed',
  'verification.no_result',
  'evidence.archived',
  'evidence.missing',
  'evidence.integrity_failed',
  'order.expired',
] as const;
export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

/**
 * A CTE body (for `WITH … , pe AS (<this>)`) that inserts the events the status an archive step
 * set means, read off the updated row `o` (with `status` and `result_code` returned): the result
 * is known (passed / failed / no result) once the order is ARCHIVED, NO_RESULT or waiting for its
 * files; the evidence is archived or missing once it is final. `seq` follows the array order.
 */
export const archiveOutcomeEventsSql = Prisma.sql`
  INSERT INTO webhook_events (id, order_id, type, created_at)
  SELECT gen_random_uuid(), o.id, t.type, now()
  FROM o CROSS JOIN LATERAL unnest(
    CASE
      WHEN o.status = 'NO_RESULT' THEN ARRAY['verification.no_result']
      WHEN o.status::text = ANY(${[...RESULT_RECORDED]}::text[]) AND o.result_code IS NOT NULL THEN
        ARRAY[CASE WHEN o.result_code = '0' THEN 'verification.passed' ELSE 'verification.failed' END]
      ELSE ARRAY[]::text[]
    END ||
    CASE
      WHEN o.status = 'ARCHIVED' THEN ARRAY['evidence.archived']
      WHEN o.status = 'EVIDENCE_MISSING' THEN ARRAY['evidence.missing']
      ELSE ARRAY[]::text[]
    END
  ) WITH ORDINALITY AS t(type, n)
  ORDER BY t.n
  ON CONFLICT (order_id, type) DO NOTHING`;

/** Records one event for an order, on the client of the caller's transaction (idempotent). */
export function partnerEventWrite(
  tx: Prisma.TransactionClient,
  orderId: string,
  type: PartnerEventType,
): Prisma.PrismaPromise<number> {
  return tx.$executeRaw`
    INSERT INTO webhook_events (id, order_id, type, created_at)
    VALUES (gen_random_uuid(), ${orderId}::uuid, ${type}, now())
    ON CONFLICT (order_id, type) DO NOTHING`;
}
