import type { Prisma } from '../../generated/prisma/client';
import type { Config } from '../platform/config';
import { openPii } from '../compliance/mask';
import { appKeyOf } from '../compliance/order-lookup';

/**
 * The authoritative outcome of an order as its partner reads it (`GET /api/orders/:orderNo`) and
 * as every webhook body carries it: status and outcome, WeBank's result code and message, the
 * scores, when the scan happened (with its zone), the evidence list and the timeline's key events.
 * Personal data (ID number, name) only when asked for with a token holding the `pii` scope; never
 * in a webhook.
 */
export type PartnerOutcome = 'passed' | 'failed' | 'no_result' | 'expired' | 'pending';

/** What the read API and the webhook bodies need of an order. */
export const ORDER_RESULT_INCLUDE = {
  evidence: { orderBy: { kind: 'asc' } },
  timeline: { orderBy: { id: 'asc' } },
} as const satisfies Prisma.OrderInclude;
export type ResultOrder = Prisma.OrderGetPayload<{ include: typeof ORDER_RESULT_INCLUDE }>;

/** Timeline lines a partner cares about (the rest is the archiver's own bookkeeping). */
const KEY_EVENTS = new Set([
  'registered',
  'start_requested',
  'start_succeeded',
  'start_url_issued',
  'start_failed',
  'recovered',
  'expired_without_result',
  'no_result',
  'archived',
  'evidence_pending',
  'archive_gave_up',
  'integrity_verified',
  'integrity_failed',
  'purged',
]);

export function outcomeOf(o: Pick<ResultOrder, 'status' | 'resultCode' | 'callbackCode'>): PartnerOutcome {
  if (o.status === 'EXPIRED') return 'expired';
  // FAILED without WeBank's answer (the start failed, or archiving gave up before any answer):
  // over, and no result to act on.
  if (o.status === 'NO_RESULT' || (o.status === 'FAILED' && o.resultCode === null)) return 'no_result';
  // WeBank's query answer is authoritative; the redirect's code is the user's browser talking.
  if (o.resultCode === null) return 'pending';
  return o.resultCode === '0' ? 'passed' : 'failed';
}

/** WeBank's `occurredTime` (yyyyMMddHHmmss, China Standard Time) as ISO 8601 with its zone. */
export function occurredAt(value: string | null): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value ?? '');
  if (!m) return value;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`;
}

export interface OrderResult {
  appKey: string;
  orderNo: string;
  product: string;
  status: string;
  outcome: PartnerOutcome;
  result: { code: string | null; message: string | null; bizSeqNo: string | null };
  liveRate: string | null;
  similarity: string | null;
  occurredAt: string | null;
  createdAt: string;
  verifiedAt: string | null;
  archivedAt: string | null;
  evidence: { kind: string; contentType: string; bytes: number; sha256: string; storedAt: string }[];
  timeline: { type: string; at: string }[];
  /** Only with the `pii` scope. */
  personal?: { idType: string | null; idNo: string | null; name: string | null };
}

export function orderResult(cfg: Config, o: ResultOrder, opts: { pii?: boolean } = {}): OrderResult {
  const result: OrderResult = {
    appKey: appKeyOf(cfg, o.appId),
    orderNo: o.orderNo,
    product: o.product,
    status: o.status,
    outcome: outcomeOf(o),
    result: { code: o.resultCode, message: o.resultMsg, bizSeqNo: o.bizSeqNo },
    liveRate: o.liveRate,
    similarity: o.similarity,
    occurredAt: occurredAt(o.occurredTime),
    createdAt: o.createdAt.toISOString(),
    verifiedAt: o.verifiedAt?.toISOString() ?? null,
    archivedAt: o.archivedAt?.toISOString() ?? null,
    evidence: o.evidence.map((e) => ({
      kind: e.kind,
      contentType: e.contentType,
      bytes: Number(e.bytes),
      sha256: e.sha256,
      storedAt: e.storedAt.toISOString(),
    })),
    timeline: o.timeline
      .filter((t) => KEY_EVENTS.has(t.type))
      .map((t) => ({ type: t.type, at: t.createdAt.toISOString() })),
  };
  if (opts.pii) {
    const pii = openPii(cfg, o);
    result.personal = { idType: o.idType, idNo: pii.idNo, name: pii.name };
  }
  return result;
}
