import { PutObjectCommand } from '@aws-sdk/client-s3';
import { requeueOrder } from '../../src/shared/compliance/staff-requeue';
import {
  eventually,
  expectStoredAsServed,
  objectBytes,
  redirectBack,
  startPipeline,
  type Pipeline,
} from '../support/pipeline';
import { uid } from '../support/web-harness';

/**
 * Issue 18, bug 2: a re-queue (and every archive run) re-checks that each evidence row's object
 * is in S3 with its size and hash, fetches again from WeBank what is missing or altered while
 * WeBank still holds it, and ends EVIDENCE_MISSING with the reason once WeBank no longer does.
 */

const STAFF = { actor: 'user:test-admin', actorRole: 'admin' };

async function orderOf(p: Pipeline, orderNo: string) {
  return p.web.db.order.findUniqueOrThrow({
    where: { appId_orderNo: { appId: p.appId, orderNo } },
    include: { evidence: { orderBy: { kind: 'asc' } }, timeline: { orderBy: { id: 'asc' } } },
  });
}

/** Waits until the order's archive runs reach `attempts` and it sits in one of `statuses`. */
const settledAfter = (p: Pipeline, orderNo: string, attempts: number, statuses: string[]) =>
  eventually(async () => {
    const o = await orderOf(p, orderNo);
    return o.archiveAttempts >= attempts && statuses.includes(o.status) ? o : undefined;
  }, 30_000);

async function archivedOrder(p: Pipeline) {
  const orderNo = uid('o');
  p.sim.createScan({ appId: p.appId, orderNo });
  await redirectBack(p, orderNo);
  const order = await settledAfter(p, orderNo, 1, ['ARCHIVED']);
  return { orderNo, order };
}

const requeue = (p: Pipeline, o: Awaited<ReturnType<typeof orderOf>>) =>
  requeueOrder({ db: p.web.db, archiveQueue: p.web.queue }, o, STAFF);

describe('archive runs re-check stored objects (bug 2)', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline();
  }, 60_000);
  afterAll(async () => p?.close());

  test('when a photo was deleted from S3 and staff re-queue, then the photo is fetched again from WeBank and stored as served', async () => {
    const { orderNo, order } = await archivedOrder(p);
    const photo = order.evidence.find((e) => e.kind === 'photo')!;
    await p.evidence.delete(photo.key);

    await requeue(p, order);
    const after = await settledAfter(p, orderNo, 2, ['ARCHIVED', 'EVIDENCE_MISSING', 'FAILED']);
    expect(after.status).toBe('ARCHIVED');
    await expectStoredAsServed(p, orderNo, after.evidence);
    expect((await objectBytes(p, photo.key)).length).toBe(Number(photo.bytes));
    // The timeline tells what happened: the loss found by the archiver, then the file stored again.
    const types = after.timeline.map((t) => t.type);
    const lost = after.timeline.find((t) => t.type === 'integrity_failed')!;
    expect(lost.detail).toMatchObject({ via: 'archiver', files: [{ kind: 'photo', problem: 'missing' }] });
    expect(types.lastIndexOf('evidence_stored')).toBeGreaterThan(types.indexOf('integrity_failed'));
    expect(after.evidence.every((e) => e.integrityFailedAt === null)).toBe(true);
  }, 60_000);

  test('when a video was altered in S3 (same size, no hash metadata), then a re-queue re-hashes it and restores the original', async () => {
    const { orderNo, order } = await archivedOrder(p);
    const video = order.evidence.find((e) => e.kind === 'video')!;
    const altered = await objectBytes(p, video.key);
    altered[100] = altered[100]! ^ 0xff;
    await p.s3.client.send(new PutObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: video.key, Body: altered }));

    await requeue(p, order);
    const after = await settledAfter(p, orderNo, 2, ['ARCHIVED', 'EVIDENCE_MISSING', 'FAILED']);
    expect(after.status).toBe('ARCHIVED');
    await expectStoredAsServed(p, orderNo, after.evidence);
    const lost = after.timeline.find((t) => t.type === 'integrity_failed')!;
    expect(lost.detail).toMatchObject({ via: 'archiver', files: [{ kind: 'video', problem: 'mismatch' }] });
  }, 60_000);

  test('when an object is gone and WeBank no longer holds the order (past 3 days), then the order ends EVIDENCE_MISSING saying why', async () => {
    const { orderNo, order } = await archivedOrder(p);
    const photo = order.evidence.find((e) => e.kind === 'photo')!;
    const fourDaysAgo = new Date(Date.now() - 4 * 24 * 3600_000);
    // WeBank's side: the scan finished four days ago (it answers 66660011 now); ours: verified then.
    p.sim.createScan({ appId: p.appId, orderNo, finishedAt: fourDaysAgo });
    await p.web.db.order.update({ where: { id: order.id }, data: { verifiedAt: fourDaysAgo } });
    await p.evidence.delete(photo.key);

    await requeue(p, await orderOf(p, orderNo));
    const after = await settledAfter(p, orderNo, 2, ['ARCHIVED', 'EVIDENCE_MISSING', 'FAILED', 'NO_RESULT']);
    expect(after.status).toBe('EVIDENCE_MISSING');
    expect(after.lastError).toMatch(/photo/);
    expect(after.lastError).toMatch(/WeBank/);
    // The result WeBank gave when it still could is kept, not overwritten by "no result".
    expect(after.resultCode).toBe('0');
    expect(after.evidence.find((e) => e.kind === 'photo')!.integrityProblem).toBe('missing');
  }, 60_000);
});
