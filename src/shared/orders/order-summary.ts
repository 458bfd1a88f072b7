import type { Db } from '../platform/db';

/** Where a verification stands, as its partner sees it: whether it is over and how it ended. */
export type Outcome = 'pending' | 'verified' | 'failed' | 'no_result' | 'expired' | 'start_failed';

/**
 * An order as the partner's backend may read it: lifecycle, WeBank's codes and scores, and what
 * evidence is archived (kind, size, SHA-256). No personal data and no evidence bytes: those stay
 * with compliance staff and their audit trail.
 */
export async function orderSummary(db: Db, appId: string, orderNo: string) {
  const o = await db.order.findUnique({
    where: { appId_orderNo: { appId, orderNo } },
    include: { evidence: { orderBy: { kind: 'asc' } } },
  });
  if (!o) return undefined;
  const code = o.resultCode ?? o.callbackCode;
  return {
    orderNo: o.orderNo,
    product: o.product,
    status: o.status,
    outcome: outcomeOf(o.status, code),
    code,
    resultMsg: o.resultMsg,
    liveRate: o.liveRate,
    similarity: o.similarity,
    h5faceId: o.h5faceId,
    bizSeqNo: o.bizSeqNo,
    startedAt: o.startedAt,
    verifiedAt: o.verifiedAt,
    recoveredAt: o.recoveredAt,
    archivedAt: o.archivedAt,
    evidence: o.evidence.map((e) => ({ kind: e.kind, bytes: Number(e.bytes), sha256: e.sha256, storedAt: e.storedAt })),
  };
}

function outcomeOf(status: string, code: string | null): Outcome {
  if (status === 'EXPIRED') return 'expired';
  if (status === 'NO_RESULT') return 'no_result';
  if (status === 'FAILED' && code === null) return 'start_failed';
  if (code === null) return 'pending';
  return code === '0' ? 'verified' : 'failed';
}
