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
  p = await startPipeline({ env: sentinel.env });
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
});
