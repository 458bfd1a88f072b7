import { callbackSign } from '../../src/shared/webank/signature';
import { OutboxRelay } from '../../src/shared/orders/outbox-relay';
import { archiveJobId } from '../../src/shared/orders/archive-queue';
import { ThrowawayRedis } from '../support/throwaway-redis';
import { startWeb, testConfig, uid } from '../support/web-harness';

const TICKET = 'outbox-test-ticket-' + 'y'.repeat(40);

describe('transactional outbox', () => {
  test('when Redis is down during a callback, then the browser is answered, the order kept, and the relay enqueues it once Redis is back', async () => {
    const redis = await ThrowawayRedis.start();
    const h = await startWeb({ cfg: testConfig({ REDIS_URL: redis.url }) });
    const relay = new OutboxRelay(
      h.db,
      h.queue,
      { intervalMs: 100, minAgeMs: 0, appIds: [h.cfg.WEBANK_APP_ID] },
      h.metrics,
    );
    try {
      await h.tickets.save(h.cfg.WEBANK_APP_ID, TICKET, 3600);
      // Let the queue finish its first connection, then take Redis away.
      await h.queue.getJobCounts();
      await redis.down();

      const orderNo = uid('ord');
      const qs = new URLSearchParams({
        code: '0',
        orderNo,
        h5faceId: uid('h'),
        newSign: callbackSign({ appId: h.cfg.WEBANK_APP_ID, orderNo, ticket: TICKET, code: '0' }),
      });
      const started = Date.now();
      const res = await fetch(`${h.url}${h.cfg.CALLBACK_PATH}?${qs}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(Date.now() - started).toBeLessThan(1500);
      const where = { appId_orderNo: { appId: h.cfg.WEBANK_APP_ID, orderNo } };
      expect(await h.db.order.findUniqueOrThrow({ where })).toMatchObject({ status: 'QUEUED', enqueuePending: true });

      // While Redis is down the relay leaves the mark in place.
      expect(await relay.relayOnce()).toBe(0);
      expect((await h.db.order.findUniqueOrThrow({ where })).enqueuePending).toBe(true);

      await redis.up();
      relay.start();
      const deadline = Date.now() + 10_000;
      while ((await h.db.order.findUniqueOrThrow({ where })).enqueuePending && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const order = await h.db.order.findUniqueOrThrow({ where });
      expect(order.enqueuePending).toBe(false);
      expect(order.enqueuedAt).not.toBeNull();
      const job = await h.queue.getJob(archiveJobId('faceid', h.cfg.WEBANK_APP_ID, orderNo));
      expect(job?.data.reason).toBe('outbox');
    } finally {
      await relay.stop();
      await h.close();
      await redis.down();
    }
  });

  test('when two relays run at once, then an order still gets exactly one job', async () => {
    const h = await startWeb();
    try {
      const orderNo = uid('ord');
      await h.db.order.create({
        data: {
          appId: h.cfg.WEBANK_APP_ID,
          orderNo,
          status: 'QUEUED',
          source: 'CALLBACK',
          enqueuePending: true,
          updatedAt: new Date(0),
        },
      });
      const a = new OutboxRelay(h.db, h.queue, { intervalMs: 1000, minAgeMs: 0, appIds: [h.cfg.WEBANK_APP_ID] });
      const b = new OutboxRelay(h.db, h.queue, { intervalMs: 1000, minAgeMs: 0, appIds: [h.cfg.WEBANK_APP_ID] });
      await Promise.all([a.relayOnce(), b.relayOnce()]);
      const jobs = await h.queue.getJobs(['waiting']);
      expect(jobs.filter((j) => j.data.orderNo === orderNo)).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
