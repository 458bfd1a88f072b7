import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createMetrics } from '../../src/shared/platform/metrics';
import { IntegrityScrub } from '../../src/workers/integrity-scrub';
import { seedOrder, startConsole, VIDEO, type ConsoleHarness } from '../console/harness';

/**
 * Issue 18, integrity scrubbing: a background job re-reads stored objects at a bounded rate and
 * compares size and SHA-256; a failure marks the order, the audit trail and /metrics. Real
 * PostgreSQL, Redis (the leader lock) and fauxqs; bytes flipped with a real PutObject.
 */

let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsole();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const LONG_AGO = new Date('2001-01-01T00:00:00Z');

async function seedDue() {
  const o = await seedOrder(h);
  // Stored long ago and never checked: due for the scrubber (oldest first).
  await h.db.evidence.updateMany({ where: { orderId: o.id }, data: { storedAt: LONG_AGO } });
  return o;
}

test('when stored objects were altered or deleted, then a scrub pass finds them, marks and audits them, and counts them in /metrics; intact ones are recorded as verified', async () => {
  const intact = await seedDue();
  const tampered = await seedDue();
  const gone = await seedDue();
  const altered = Buffer.from(VIDEO);
  altered[42] = altered[42]! ^ 0x01;
  await h.evidence.client.send(new PutObjectCommand({ Bucket: h.s3.bucket, Key: tampered.videoKey, Body: altered }));
  await h.evidence.delete(gone.photoKey);

  const metrics = createMetrics();
  const scrub = new IntegrityScrub({
    cfg: { ...h.cfg, INTEGRITY_SCRUB_BATCH: 50 },
    db: h.db,
    redis: h.redis,
    evidence: h.evidence,
    metrics,
  });
  const report = await scrub.scrubAsLeader();
  expect(report).toEqual({ checked: 6, results: { ok: 4, mismatch: 1, size: 0, missing: 1, error: 0 } });

  const rows = await h.db.evidence.findMany({ where: { orderId: { in: [intact.id, tampered.id, gone.id] } } });
  const row = (orderId: string, kind: string) => rows.find((r) => r.orderId === orderId && r.kind === kind)!;
  expect(row(tampered.id, 'video').integrityProblem).toBe('mismatch');
  expect(row(gone.id, 'photo').integrityProblem).toBe('missing');
  expect(row(intact.id, 'video').integrityFailedAt).toBeNull();
  expect(row(intact.id, 'video').verifiedAt).not.toBeNull();

  const audits = await h.db.auditEntry.findMany({
    where: { orderId: { in: [tampered.id, gone.id] }, action: 'integrity' },
  });
  expect(audits.map((a) => a.actor)).toEqual(['system:integrity-scrub', 'system:integrity-scrub']);
  const timeline = await h.db.orderEvent.findMany({ where: { orderId: tampered.id, type: 'integrity_failed' } });
  expect(timeline[0]!.detail).toMatchObject({ via: 'scrub', files: [{ kind: 'video', problem: 'mismatch' }] });

  const text = await metrics.registry.metrics();
  expect(text).toContain('faceid_integrity_checks_total{result="mismatch"} 1');
  expect(text).toContain('faceid_integrity_checks_total{result="missing"} 1');
  expect(text).toContain('faceid_integrity_checks_total{result="ok"} 4');
  expect(text).toMatch(/faceid_integrity_failed_objects 2\b/);

  // Checked objects are not due again until the period has passed; marked ones are left to staff.
  expect(await scrub.scrubAsLeader()).toEqual({
    checked: 0,
    results: { ok: 0, mismatch: 0, size: 0, missing: 0, error: 0 },
  });
}, 60_000);

test('when more objects are due than a pass may read, then one pass reads only INTEGRITY_SCRUB_BATCH of them, oldest first', async () => {
  const a = await seedDue();
  await h.db.evidence.updateMany({ where: { orderId: a.id }, data: { storedAt: new Date('2000-06-01T00:00:00Z') } });
  await seedDue();
  const scrub = new IntegrityScrub({
    cfg: { ...h.cfg, INTEGRITY_SCRUB_BATCH: 2 },
    db: h.db,
    redis: h.redis,
    evidence: h.evidence,
  });
  const report = await scrub.scrubAsLeader();
  expect(report?.checked).toBe(2);
  const checked = await h.db.evidence.findMany({ where: { verifiedAt: { not: null }, orderId: a.id } });
  expect(checked).toHaveLength(2);
}, 60_000);
