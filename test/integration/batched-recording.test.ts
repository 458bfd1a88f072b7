import { archiveJobId } from '../../src/shared/orders/archive-queue';
import type { VerifiedResult } from '../../src/shared/orders/callback-results';
import { callbackSign } from '../../src/shared/webank/signature';
import { ResultRecorder } from '../../src/web/result-recorder';
import { eventually } from '../support/pipeline';
import { startWeb, uid, type WebHarness } from '../support/web-harness';

const TICKET = 'BatchT1cket' + 'y'.repeat(53);

/**
 * Concurrent callbacks share statements (src/shared/batcher.ts): these tests fire many at once so
 * that batches form, and check every verdict is what one-at-a-time recording would give.
 */
describe('batched recording of verified results', () => {
  let h: WebHarness;

  beforeAll(async () => {
    h = await startWeb();
    await h.tickets.save(h.cfg.WEBANK_APP_ID, TICKET, 3600);
  });
  afterAll(async () => h.close());

  const callback = (orderNo: string, code = '0', ticket = TICKET) => {
    const sign = callbackSign({ appId: h.cfg.WEBANK_APP_ID, orderNo, ticket, code });
    const qs = new URLSearchParams({ code, orderNo, h5faceId: uid('h5'), newSign: sign });
    return fetch(`${h.url}${h.cfg.CALLBACK_PATH}?${qs.toString()}`, { redirect: 'manual' });
  };
  const where = (orderNo: string) => ({ appId_orderNo: { appId: h.cfg.WEBANK_APP_ID, orderNo } });

  test('when 60 distinct callbacks arrive at once, then each order is recorded with one accepted event, queued, and its mark cleared', async () => {
    const orders = Array.from({ length: 60 }, () => uid('bat'));
    const answers = await Promise.all(orders.map((o) => callback(o)));
    expect(answers.map((r) => r.status)).toEqual(orders.map(() => 302));
    const rows = await h.db.order.findMany({ where: { appId: h.cfg.WEBANK_APP_ID, orderNo: { in: orders } } });
    expect(rows).toHaveLength(60);
    for (const row of rows) expect(row).toMatchObject({ status: 'QUEUED', callbackCode: '0', source: 'CALLBACK' });
    await eventually(
      async () =>
        (await h.db.order.count({
          where: { appId: h.cfg.WEBANK_APP_ID, orderNo: { in: orders }, enqueuePending: true },
        })) === 0,
      3000,
      20,
    );
    const events = await h.db.callbackEvent.groupBy({
      by: ['orderNo', 'verdict'],
      where: { appId: h.cfg.WEBANK_APP_ID, orderNo: { in: orders } },
      _count: true,
    });
    expect(events).toHaveLength(60);
    expect(events.every((e) => e.verdict === 'accepted' && e._count === 1)).toBe(true);
    const jobs = await Promise.all(orders.map((o) => h.queue.getJob(archiveJobId('faceid', h.cfg.WEBANK_APP_ID, o))));
    expect(jobs.filter(Boolean)).toHaveLength(60);
  });

  test('when the same order comes several times at once with two codes, then one is accepted, the same code is a duplicate and the other a conflict', async () => {
    const orderNo = uid('dup');
    // Same code ×4 and a different code ×2, all in flight together, among distinct orders.
    const others = Array.from({ length: 10 }, () => uid('bat'));
    const answers = await Promise.all([
      ...[0, 1, 2, 3].map(() => callback(orderNo, '0')),
      ...[0, 1].map(() => callback(orderNo, '66660004')),
      ...others.map((o) => callback(o)),
    ]);
    expect(answers.every((r) => r.status === 302)).toBe(true);
    const events = await h.db.callbackEvent.findMany({
      where: { appId: h.cfg.WEBANK_APP_ID, orderNo },
      orderBy: { id: 'asc' },
    });
    expect(events).toHaveLength(6);
    expect(events.filter((e) => e.verdict === 'accepted')).toHaveLength(1);
    const order = await h.db.order.findUniqueOrThrow({ where: where(orderNo) });
    const kept = order.callbackCode;
    const same = events.filter((e) => e.code === kept);
    const differ = events.filter((e) => e.code !== kept);
    expect(same.map((e) => e.verdict).sort()).toEqual(['accepted', ...Array(same.length - 1).fill('duplicate')].sort());
    expect(differ.every((e) => e.verdict === 'conflict')).toBe(true);
    expect(await h.db.order.count({ where: { appId: h.cfg.WEBANK_APP_ID, orderNo: { in: others } } })).toBe(10);
  });

  test('when a registered order and new ones share a batch, then the registered one is taken over (accepted, queued) and keeps its source', async () => {
    const registered = uid('reg');
    await h.db.order.create({
      data: {
        appId: h.cfg.WEBANK_APP_ID,
        orderNo: registered,
        status: 'EXPECTED',
        source: 'REGISTRATION',
        nextSweepAt: new Date(),
      },
    });
    const fresh = Array.from({ length: 8 }, () => uid('bat'));
    const answers = await Promise.all([callback(registered), ...fresh.map((o) => callback(o))]);
    expect(answers.every((r) => r.status === 302)).toBe(true);
    expect(await h.db.order.findUniqueOrThrow({ where: where(registered) })).toMatchObject({
      status: 'QUEUED',
      source: 'REGISTRATION',
      callbackCode: '0',
      nextSweepAt: null,
    });
    await eventually(
      async () => !(await h.db.order.findUniqueOrThrow({ where: where(registered) })).enqueuePending,
      3000,
      20,
    );
    expect(await h.queue.getJob(archiveJobId('faceid', h.cfg.WEBANK_APP_ID, registered))).toBeDefined();
  });

  test('when one result in a batch cannot be stored, then the others are still recorded and only it fails', async () => {
    const recorder = new ResultRecorder(h.db, h.queue);
    const result = (orderNo: string): VerifiedResult => ({
      appId: h.cfg.WEBANK_APP_ID,
      orderNo,
      product: 'faceid',
      code: '0',
      channel: 'redirect',
      ticketMatched: 'current',
      params: {},
    });
    const good = Array.from({ length: 5 }, () => uid('bat'));
    // PostgreSQL refuses a NUL character in text and jsonb: the batch statement fails as a whole.
    const poison = result(`${uid('bad')}\u0000`);
    const outcomes = await Promise.allSettled([
      ...good.map((o) => recorder.record(result(o))),
      recorder.record(poison),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
    expect(await h.db.order.count({ where: { appId: h.cfg.WEBANK_APP_ID, orderNo: { in: good } } })).toBe(5);
    await recorder.drain();
  });

  test('when WeBank rotates the ticket and another replica stores it, then a callback signed with the new ticket is accepted at once despite the cache', async () => {
    const before = uid('rot');
    expect((await callback(before)).status).toBe(302); // the cache now holds the old ticket
    const next = 'BatchRotated' + 'z'.repeat(52);
    await h.tickets.save(h.cfg.WEBANK_APP_ID, next, 3600);
    const after = uid('rot');
    expect((await callback(after, '0', next)).status).toBe(302);
    const [event] = await h.db.callbackEvent.findMany({ where: { appId: h.cfg.WEBANK_APP_ID, orderNo: after } });
    expect(event).toMatchObject({ verdict: 'accepted', ticketMatched: 'current' });
    // And the old one is still honoured within its grace period.
    expect((await callback(uid('rot'), '0', TICKET)).status).toBe(302);
  });
});
