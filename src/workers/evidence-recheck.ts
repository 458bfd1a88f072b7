import type { AuditContext } from '../shared/compliance/audit';
import { recordIntegrityFailure } from '../shared/compliance/integrity-failure';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { checkStoredObjects } from '../shared/evidence/object-check';
import { recordStep, type StartedOrder } from '../shared/orders/archive-records';
import type { Config } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { componentLogger } from '../shared/platform/logger';

const log = componentLogger('archiver');

const ARCHIVER: AuditContext = { actor: 'system:archiver', actorRole: 'system' };

/**
 * The start of every archive run (a retry, a stalled job, a staff re-queue): the evidence rows
 * the order already has are checked against S3 (object-check.ts: HeadObject size and our hash
 * metadata, a full re-hash where that cannot be trusted). A missing or altered object is
 * recorded as an integrity failure and left out of the kinds "already stored", so the run asks
 * WeBank for it again and its new row replaces the old one. WeBank keeps files for
 * RECOVERY_WINDOW_HOURS (3 days): past that nothing can be fetched, and the order ends
 * EVIDENCE_MISSING with the reason instead of being sent into a query whose "no result" would
 * misdescribe it. Returns the kinds still stored intact, or 'settled' when the order was ended.
 */
export async function recheckStoredEvidence(
  deps: { db: Db; cfg: Config; evidence: EvidenceStore },
  order: StartedOrder,
): Promise<string[] | 'settled'> {
  if (order.stored.length === 0) return [];
  const rows = await deps.db.evidence.findMany({
    where: { orderId: order.id },
    select: { kind: true, key: true, bytes: true, sha256: true },
  });
  const checks = await checkStoredObjects(deps.evidence, rows);
  const lost = checks.filter((c) => !c.ok);
  if (lost.length === 0) return rows.map((r) => r.kind);
  await recordIntegrityFailure(
    deps.db,
    {
      order,
      via: 'archiver',
      files: lost.map((c) => ({
        kind: c.kind,
        problem: c.problem ?? 'mismatch',
        expectedSha256: rows.find((r) => r.kind === c.kind)!.sha256,
        actualSha256: c.actualSha256 ?? null,
        actualBytes: c.actualBytes ?? null,
      })),
    },
    ARCHIVER,
  );
  const lostKinds = lost.map((c) => c.kind);
  const timing = await deps.db.order.findUniqueOrThrow({
    where: { id: order.id },
    select: { verifiedAt: true, createdAt: true },
  });
  const ageHours = (Date.now() - (timing.verifiedAt ?? timing.createdAt).getTime()) / 3600_000;
  if (ageHours < deps.cfg.RECOVERY_WINDOW_HOURS) {
    log.warn('stored evidence is missing or altered; fetching it again from WeBank', {
      orderId: order.id,
      kinds: lostKinds,
    });
    return rows.map((r) => r.kind).filter((k) => !lostKinds.includes(k));
  }
  const reason =
    `${lost.map((c) => `${c.kind} ${c.problem ?? 'mismatch'}`).join(', ')} in storage; WeBank keeps files for ` +
    `${deps.cfg.RECOVERY_WINDOW_HOURS} h and this order was verified ${Math.floor(ageHours)} h ago, so it cannot be fetched again`;
  await recordStep(deps.db, order.id, {
    fields: { status: 'EVIDENCE_MISSING', lastError: reason },
    events: [{ type: 'evidence_lost', detail: { kinds: lostKinds, reason: 'webank_retention_passed' } }],
  });
  log.warn('stored evidence lost beyond WeBank retention', { orderId: order.id, kinds: lostKinds });
  return 'settled';
}
