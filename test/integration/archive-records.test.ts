import { createDb, type Db } from '../../src/shared/platform/db';
import { recordStep, startArchive } from '../../src/shared/orders/archive-records';
import { uid } from '../support/web-harness';

/** The archiver's one-statement writes, on the real PostgreSQL. */
describe('archive records', () => {
  let db: Db;
  const appId = uid('TIDA');
  beforeAll(() => {
    db = createDb(process.env.DATABASE_URL!, 2);
  });
  afterAll(async () => {
    await db.order.deleteMany({ where: { appId } });
    await db.$disconnect();
  });

  const newOrder = (status: 'QUEUED' | 'ARCHIVED' | 'EVIDENCE_PENDING' | 'PURGED' = 'QUEUED') =>
    db.order.create({
      data: {
        appId,
        orderNo: uid('o'),
        product: 'faceid',
        status,
        source: 'CALLBACK',
        callbackCode: '0',
        verifiedAt: new Date(),
      },
    });
  const timeline = (orderId: string) => db.orderEvent.findMany({ where: { orderId }, orderBy: { id: 'asc' } });

  test('when an order starts, then it is ARCHIVING with the attempt counted, archive_started on its timeline and its stored kinds returned', async () => {
    const order = await newOrder('EVIDENCE_PENDING');
    await db.evidence.create({
      data: {
        orderId: order.id,
        kind: 'photo',
        key: 'k/photo.jpg',
        bytes: 10n,
        sha256: 'a'.repeat(64),
        contentType: 'image/jpeg',
      },
    });
    const started = await startArchive(db, appId, order.orderNo);
    expect(started).toEqual({
      id: order.id,
      appId,
      orderNo: order.orderNo,
      createdAt: order.createdAt,
      archiveAttempts: 1,
      stored: ['photo'],
    });
    const again = await startArchive(db, appId, order.orderNo);
    expect(again).toMatchObject({ archiveAttempts: 2 });
    const row = await db.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row).toMatchObject({ status: 'ARCHIVING', archiveAttempts: 2 });
    expect(row.updatedAt.getTime()).toBeGreaterThan(order.updatedAt.getTime() - 1);
    expect((await timeline(order.id)).map((e) => [e.type, e.detail])).toEqual([
      ['archive_started', { attempt: 1 }],
      ['archive_started', { attempt: 2 }],
    ]);
  });

  test('when the order is past archiving or unknown, then nothing changes and the caller is told which', async () => {
    for (const status of ['ARCHIVED', 'PURGED'] as const) {
      const order = await newOrder(status);
      expect(await startArchive(db, appId, order.orderNo)).toBe('terminal');
      expect(await db.order.findUniqueOrThrow({ where: { id: order.id } })).toMatchObject({
        status,
        archiveAttempts: 0,
      });
      expect(await timeline(order.id)).toEqual([]);
    }
    expect(await startArchive(db, appId, uid('none'))).toBe('missing');
  });

  test("when a step records files, then their rows, the order columns and the timeline land together, files' lines first, and a rerun replaces a row", async () => {
    const order = await newOrder();
    const photo = {
      kind: 'photo',
      key: 'k/photo.png',
      bytes: 5_000_000_000,
      sha256: 'b'.repeat(64),
      contentType: 'image/png',
      events: [
        { type: 'type_mismatch', detail: { kind: 'photo', detected: 'image/png' } },
        { type: 'evidence_stored', detail: { kind: 'photo', bytes: 5_000_000_000, sha256: 'b'.repeat(64) } },
      ],
    };
    const video = {
      kind: 'video',
      key: 'k/video.mp4',
      bytes: 7,
      sha256: 'e'.repeat(64),
      contentType: 'video/mp4',
      events: [{ type: 'evidence_stored' }],
    };
    await recordStep(db, order.id, {
      files: [photo, video],
      fields: { resultCode: '0', details: { frontCode: '0' }, lastError: 'x', liveRate: undefined },
    });
    await recordStep(db, order.id, {
      files: [
        {
          ...photo,
          key: 'k/photo.jpg',
          sha256: 'c'.repeat(64),
          contentType: 'image/jpeg',
          events: [{ type: 'evidence_stored', detail: { again: true } }],
        },
      ],
      fields: { status: 'ARCHIVED', resultMsg: '成功', lastError: null, details: undefined },
      events: [{ type: 'archived', detail: { code: '0', bizSeqNo: null } }],
      archivedAt: true,
    });
    const rows = await db.evidence.findMany({ where: { orderId: order.id }, orderBy: { kind: 'asc' } });
    expect(rows).toEqual([
      expect.objectContaining({
        kind: 'photo',
        key: 'k/photo.jpg',
        bytes: 5_000_000_000n,
        sha256: 'c'.repeat(64),
        contentType: 'image/jpeg',
      }),
      expect.objectContaining({
        kind: 'video',
        key: 'k/video.mp4',
        bytes: 7n,
        sha256: 'e'.repeat(64),
        contentType: 'video/mp4',
      }),
    ]);
    const row = await db.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row).toMatchObject({
      status: 'ARCHIVED',
      resultCode: '0',
      resultMsg: '成功',
      lastError: null,
      details: { frontCode: '0' },
      liveRate: null,
    });
    expect(row.archivedAt).toBeInstanceOf(Date);
    expect((await timeline(order.id)).map((e) => [e.type, e.detail])).toEqual([
      ['type_mismatch', { kind: 'photo', detected: 'image/png' }],
      ['evidence_stored', { kind: 'photo', bytes: 5_000_000_000, sha256: 'b'.repeat(64) }],
      ['evidence_stored', null],
      ['evidence_stored', { again: true }],
      ['archived', { code: '0', bizSeqNo: null }],
    ]);
  });

  test('when a step is recorded for an order that is gone, then nothing is written and it says so', async () => {
    const order = await newOrder();
    await db.order.delete({ where: { id: order.id } });
    const file = {
      kind: 'video',
      key: 'k',
      bytes: 1,
      sha256: 'd'.repeat(64),
      contentType: 'video/mp4',
      events: [{ type: 'evidence_stored' }],
    };
    await expect(recordStep(db, order.id, { files: [file] })).rejects.toThrow(/no longer exists/);
    expect(await db.evidence.count({ where: { orderId: order.id } })).toBe(0);
    expect(await db.orderEvent.count({ where: { orderId: order.id } })).toBe(0);
  });

  test('when a field is not one the archiver writes, then the step is refused', async () => {
    const order = await newOrder();
    await expect(recordStep(db, order.id, { fields: { notAColumn: 1 } })).rejects.toThrow(/unknown order field/);
  });
});
