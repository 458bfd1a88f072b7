import { Redis } from 'ioredis';
import { archiveJobId } from '../../../src/shared/orders/archive-queue';
import { eventually, expectStoredAsServed, redirectBack, startPipeline, type Pipeline } from '../../support/pipeline';
import { LocalRedisSentinel } from '../../support/redis-topologies';
import { uid } from '../../support/web-harness';

/**
 * The service behind Redis Sentinel (one master, one replica, one sentinel), configured as an
 * operator would: REDIS_SENTINELS + REDIS_SENTINEL_NAME, REDIS_URL empty. The factory asks the
 * sentinel where the master is; web and workers run in this process.
 */
let sentinel: LocalRedisSentinel;
let p: Pipeline;

beforeAll(async () => {
  sentinel = await LocalRedisSentinel.start();
  p = await startPipeline({
    // A job the replica had not received when the master died is re-enqueued by the reconciler.
    env: { ...sentinel.env, RECONCILER_INTERVAL_MS: '1000', RECONCILER_STUCK_MINUTES: '0.2' },
  });
}, 60_000);

afterAll(async () => {
  await p?.close();
  await sentinel?.stop();
});

describe('behind Redis Sentinel', () => {
  test('when a verified callback comes back, then the evidence is archived through the master the sentinel names', async () => {
    expect(p.cfg.redis.kind).toBe('sentinel');
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass' });
    expect((await redirectBack(p, orderNo)).status).toBe(302);
    const order = await eventually(async () => {
      const o = await p.web.db.order.findUniqueOrThrow({
        where: { appId_orderNo: { appId: p.appId, orderNo } },
        include: { evidence: { orderBy: { kind: 'asc' } } },
      });
      return o.status === 'ARCHIVED' ? o : undefined;
    }, 20_000);
    await expectStoredAsServed(p, orderNo, order.evidence);

    // The job went to the master, and the replica has it too.
    const jobKey = `${p.cfg.QUEUE_PREFIX}:archive:${archiveJobId('faceid', p.appId, orderNo)}`;
    for (const port of [sentinel.master.port, sentinel.replica.port]) {
      const r = new Redis(port, '127.0.0.1', { lazyConnect: true });
      try {
        await r.connect();
        await eventually(async () => (await r.exists(jobKey)) === 1, 5000);
      } finally {
        r.disconnect();
      }
    }
  }, 60_000);

  test('when the master dies and the sentinel promotes the replica, then callbacks before, during and after are all archived', async () => {
    const orderNos = Array.from({ length: 6 }, () => uid('o'));
    for (const orderNo of orderNos) p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass' });
    const answers: number[] = [];
    for (const orderNo of orderNos.slice(0, 2)) answers.push((await redirectBack(p, orderNo)).status);
    await sentinel.master.crash();
    // While nobody is master, callbacks are answered and left to the outbox relay.
    for (const orderNo of orderNos.slice(2, 4)) answers.push((await redirectBack(p, orderNo)).status);
    await eventually(async () => (await sentinel.currentMasterPort()) === sentinel.replica.port, 30_000, 250);
    for (const orderNo of orderNos.slice(4)) answers.push((await redirectBack(p, orderNo)).status);
    expect(answers).toEqual(orderNos.map(() => 302));
    for (const orderNo of orderNos) {
      const order = await eventually(async () => {
        const o = await p.web.db.order.findUniqueOrThrow({
          where: { appId_orderNo: { appId: p.appId, orderNo } },
          include: { evidence: { orderBy: { kind: 'asc' } } },
        });
        return o.status === 'ARCHIVED' ? o : undefined;
      }, 45_000);
      await expectStoredAsServed(p, orderNo, order.evidence);
    }
  }, 120_000);
});
