import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Config } from '../../../src/shared/platform/config';
import { createDb } from '../../../src/shared/platform/db';
import { orderKeyPrefix } from '../../../src/shared/evidence/keys';
import { EvidenceStore, evidenceStoreOptions, type EvidenceHead } from '../../../src/shared/evidence/evidence-store';
import { createMetrics } from '../../../src/shared/platform/metrics';
import { createRedis } from '../../../src/shared/platform/redis';
import { dataKey, seal } from '../../../src/shared/platform/sealed';
import { RetentionPurge } from '../../../src/workers/retention-purge';
import type { OrderStatus } from '../../../src/generated/prisma/client';
import { startFauxqs, type FauxqsS3 } from '../../support/fauxqs';
import { testConfig, uid } from '../../support/web-harness';

const MEDIA = path.join(__dirname, '../../../src/simulator/media');
const PHOTO = readFileSync(path.join(MEDIA, 'face.jpg'));
const VIDEO = readFileSync(path.join(MEDIA, 'face.mp4'));
const DAY = 24 * 3600 * 1000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * fauxqs has no S3 Object Lock, so this store reports a retain-until date for chosen keys the way
 * a locked bucket's HeadObject would (ObjectLockRetainUntilDate); everything else is the real store.
 */
class LockReportingStore extends EvidenceStore {
  readonly locks = new Map<string, Date>();
  override async head(key: string): Promise<EvidenceHead | undefined> {
    const head = await super.head(key);
    const until = this.locks.get(key);
    return head && until ? { ...head, retainUntil: until } : head;
  }
}

describe('retention purge', () => {
  let s3: FauxqsS3;
  let cfg: Config;
  let store: LockReportingStore;
  const db = createDb(process.env.DATABASE_URL!, 2);
  const redis = createRedis(process.env.REDIS_URL!, 'producer', 'test-retention');

  beforeAll(async () => {
    s3 = await startFauxqs();
    cfg = testConfig({
      ...s3.s3Env,
      RETENTION_DAYS: '30',
      WEBANK_APPS: JSON.stringify([
        { key: 'short', appId: uid('TIDS'), secret: 's', retentionDays: 1 },
        { key: 'keep', appId: uid('TIDK'), secret: 's', retentionDays: 0 },
      ]),
    });
    store = new LockReportingStore(evidenceStoreOptions(cfg));
  });
  afterAll(async () => {
    store.close();
    await s3.stop();
    redis.disconnect();
    await db.$disconnect();
  });

  const appOf = (key: string) => cfg.apps.find((a) => a.key === key)!.appId;
  const key = dataKey(process.env.DATA_ENCRYPTION_KEY!);

  /** A finished order of `ageDays`, with sealed PII, a callback event and (optionally) photo and video in S3. */
  async function seed(appKey: string, ageDays: number, opts: { status?: OrderStatus; files?: boolean } = {}) {
    const appId = appOf(appKey);
    const orderNo = uid('rt');
    const createdAt = new Date(Date.now() - ageDays * DAY);
    const order = await db.order.create({
      data: {
        appId,
        orderNo,
        status: opts.status ?? 'ARCHIVED',
        source: 'CALLBACK',
        callbackCode: '0',
        resultCode: '0',
        createdAt,
        idNoSealed: seal('110101199003074211', key),
        nameSealed: seal('王五', key),
        piiSealed: seal('{"address":"x"}', key),
      },
    });
    await db.callbackEvent.create({
      data: {
        orderId: order.id,
        channel: 'redirect',
        appId,
        orderNo,
        code: '0',
        verdict: 'accepted',
        params: {},
        clientIp: '203.0.113.9',
        userAgent: 'Mobile Safari',
      },
    });
    const rows = [];
    if (opts.files !== false) {
      for (const [kind, bytes] of [
        ['photo', PHOTO],
        ['video', VIDEO],
      ] as const) {
        const saved = await store.put({ key: { appId, orderNo, date: createdAt, kind }, body: Readable.from([bytes]) });
        rows.push(
          await db.evidence.create({
            data: {
              orderId: order.id,
              kind,
              key: saved.key,
              bytes: BigInt(saved.bytes),
              sha256: saved.sha256,
              contentType: saved.contentType,
            },
          }),
        );
      }
    }
    return { order, rows, prefix: orderKeyPrefix(store.prefix, { appId, orderNo, date: createdAt }) };
  }

  const state = (id: string) =>
    db.order.findUniqueOrThrow({ where: { id }, include: { evidence: true, events: true, timeline: true } });

  test("when orders pass their app's retention, then objects and PII go, tombstones and the audit row stay, and younger, unfinished or keep-forever orders are untouched", async () => {
    const expired = await seed('default', 40);
    // An object a failed attempt left without a row: found by the order's prefix, deleted too.
    const orphanKey = `${expired.prefix}photo.bin`;
    await s3.client.send(new PutObjectCommand({ Bucket: cfg.S3_BUCKET, Key: orphanKey, Body: 'partial' }));
    const noResult = await seed('short', 2, { status: 'NO_RESULT', files: false });
    const young = await seed('default', 10);
    const unfinished = await seed('default', 40, { status: 'EVIDENCE_PENDING' });
    const forever = await seed('keep', 400);

    const metrics = createMetrics();
    const purge = new RetentionPurge({ cfg, db, redis, evidence: store, metrics });
    const report = await purge.purgeAsLeader();
    expect(report).toEqual({ purged: 2, skippedLocked: 0, failed: 0, objectsDeleted: 3 });

    // S3 first: every object of the order is gone.
    for (const k of [...expired.rows.map((r) => r.key), orphanKey]) expect(await store.head(k)).toBeUndefined();
    const after = await state(expired.order.id);
    expect(after).toMatchObject({
      status: 'PURGED',
      idNoSealed: null,
      nameSealed: null,
      piiSealed: null,
      evidence: [],
    });
    expect(after.purgedAt).not.toBeNull();
    expect(after.resultCode).toBe('0'); // the non-personal result stays
    expect(after.events.map((e) => [e.clientIp, e.userAgent, e.verdict])).toEqual([[null, null, 'accepted']]);
    expect(after.timeline.map((e) => e.type)).toEqual(['purged']);

    const tombstones = await db.evidenceTombstone.findMany({
      where: { orderId: expired.order.id },
      orderBy: { kind: 'asc' },
    });
    expect(
      tombstones.map((t) => ({ kind: t.kind, key: t.key, sha256: t.sha256, bytes: t.bytes, reason: t.reason })),
    ).toEqual([
      {
        kind: 'photo',
        key: expired.rows[0]!.key,
        sha256: sha(PHOTO),
        bytes: BigInt(PHOTO.length),
        reason: 'retention: 30 days',
      },
      {
        kind: 'video',
        key: expired.rows[1]!.key,
        sha256: sha(VIDEO),
        bytes: BigInt(VIDEO.length),
        reason: 'retention: 30 days',
      },
    ]);
    const audit = await db.auditEntry.findMany({ where: { orderId: expired.order.id } });
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'system:retention',
        action: 'purge',
        outcome: 'success',
        orderNo: expired.order.orderNo,
        detail: expect.objectContaining({
          retentionDays: 30,
          objects: 3,
          bytes: PHOTO.length + VIDEO.length,
          previousStatus: 'ARCHIVED',
        }),
      }),
    ]);
    expect(JSON.stringify(audit.map((a) => a.detail))).not.toContain('110101199003074211');

    // The per-app period applies: 1 day for "short" (no files, PII cleared all the same).
    expect(await state(noResult.order.id)).toMatchObject({ status: 'PURGED', idNoSealed: null });
    expect(await db.evidenceTombstone.count({ where: { orderId: noResult.order.id } })).toBe(0);
    expect(
      await db.auditEntry.count({
        where: { orderId: noResult.order.id, action: 'purge', detail: { path: ['retentionDays'], equals: 1 } },
      }),
    ).toBe(1);

    for (const kept of [young, unfinished, forever]) {
      const row = await state(kept.order.id);
      expect(row.status).toBe(kept.order.status);
      expect(row.idNoSealed).not.toBeNull();
      expect(row.evidence).toHaveLength(2);
      for (const r of kept.rows) expect(await store.head(r.key)).toBeDefined();
    }
    expect(await metrics.registry.getSingleMetricAsString('faceid_retention_orders_total')).toContain(
      'outcome="purged"} 2',
    );

    // Idempotent: the next pass finds nothing to do.
    expect(await purge.purgeOnce()).toEqual({ purged: 0, skippedLocked: 0, failed: 0, objectsDeleted: 0 });
  });

  test("when an expired order's object is under Object Lock, then nothing of it is deleted until the lock expires", async () => {
    const locked = await seed('default', 45);
    const until = new Date(Date.now() + 3 * DAY);
    store.locks.set(locked.rows[1]!.key, until);
    const metrics = createMetrics();
    const purge = new RetentionPurge({ cfg, db, redis, evidence: store, metrics });

    expect(await purge.purgeOnce()).toMatchObject({ purged: 0, skippedLocked: 1 });
    const row = await state(locked.order.id);
    expect(row.status).toBe('ARCHIVED');
    expect(row.evidence).toHaveLength(2);
    // Not even the unlocked photo: an order is purged whole or not at all.
    for (const r of locked.rows) expect(await store.head(r.key)).toBeDefined();
    expect(await metrics.registry.getSingleMetricAsString('faceid_retention_orders_total')).toContain(
      'outcome="skipped_locked"} 1',
    );

    // Once the retain-until date has passed, a later pass purges it.
    expect(await purge.purgeOnce(new Date(until.getTime() + 1000))).toMatchObject({ purged: 1, skippedLocked: 0 });
    expect((await state(locked.order.id)).status).toBe('PURGED');
    for (const r of locked.rows) expect(await store.head(r.key)).toBeUndefined();
    expect(await db.evidenceTombstone.count({ where: { orderId: locked.order.id } })).toBe(2);
  });
});
