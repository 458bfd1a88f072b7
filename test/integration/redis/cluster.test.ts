import { Cluster, Redis } from 'ioredis';
import { archiveJobId } from '../../../src/shared/orders/archive-queue';
import { eventually, expectStoredAsServed, redirectBack, startPipeline, type Pipeline } from '../../support/pipeline';
import { LocalRedisCluster } from '../../support/redis-topologies';
import { uid } from '../../support/web-harness';
import { KeeperHarness } from '../tickets/harness';

/**
 * The service on a real local 3-master Redis Cluster (no replicas), configured as an operator
 * would: REDIS_CLUSTER_NODES with the seeds, REDIS_URL empty. Web (callbacks, outbox relay,
 * queue) and workers (archive worker, keeper, reconciler) run in this process on the factory's
 * Cluster connections; WeBank is the simulator and S3 is fauxqs.
 */
let cluster: LocalRedisCluster;
let p: Pipeline;

beforeAll(async () => {
  cluster = await LocalRedisCluster.start();
  p = await startPipeline({
    env: {
      ...cluster.env,
      // A node that comes back empty (no AOF here) lost its jobs: the reconciler re-enqueues the
      // orders from PostgreSQL. Fast here so the test sees it (minutes in production), yet well
      // after the outbox relay (200 ms) so the outbox test sees the relay's job, not the reconciler's.
      RECONCILER_INTERVAL_MS: '1000',
      RECONCILER_STUCK_MINUTES: '0.2',
    },
  });
}, 60_000);

afterAll(async () => {
  await p?.close();
  await cluster?.stop();
}, 60_000);

const orderOf = (orderNo: string) =>
  p.web.db.order.findUniqueOrThrow({
    where: { appId_orderNo: { appId: p.appId, orderNo } },
    include: { evidence: { orderBy: { kind: 'asc' } } },
  });

const archived = (orderNo: string, timeoutMs = 20_000) =>
  eventually(async () => {
    const o = await orderOf(orderNo);
    return o.status === 'ARCHIVED' ? o : undefined;
  }, timeoutMs);

/**
 * Waits until every order is ARCHIVED; if one is not in time, the error says where each order and
 * the queue stand and what the worker is doing (a stuck worker is what these tests look for).
 */
async function allArchived(orderNos: string[], timeoutMs: number) {
  const rows = () =>
    p.web.db.order.findMany({
      where: { appId: p.appId, orderNo: { in: orderNos } },
      include: { evidence: { orderBy: { kind: 'asc' } } },
    });
  try {
    return await eventually(async () => {
      const found = await rows();
      return found.length === orderNos.length && found.every((o) => o.status === 'ARCHIVED') ? found : undefined;
    }, timeoutMs);
  } catch (err) {
    const orders = (await rows()).map(
      (o) => `${o.orderNo}: ${o.status} attempts=${o.archiveAttempts} pending=${o.enqueuePending} ${o.lastError ?? ''}`,
    );
    const jobs = await p.web.queue.getJobCounts().catch((e: Error) => e.message);
    const w = p.workers?.worker;
    const worker = { running: w?.isRunning(), paused: w?.isPaused() };
    throw new Error(
      `${(err as Error).message}\n${orders.join('\n')}\njobs ${JSON.stringify(jobs)}, worker ${JSON.stringify(worker)}`,
      {
        cause: err,
      },
    );
  }
}

/** Every key on one node, through a plain connection to it (SCAN is per node on a cluster). */
async function keysOn(port: number): Promise<string[]> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true });
  try {
    await r.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await r.scan(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    r.disconnect();
  }
}

describe('on a 3-master Redis Cluster', () => {
  test('when a verified callback comes back, then the evidence is archived, and every key of the deployment is in its one slot', async () => {
    expect(p.web.redis).toBeInstanceOf(Cluster);
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass' });
    expect((await redirectBack(p, orderNo)).status).toBe(302);
    const order = await archived(orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    await expectStoredAsServed(p, orderNo, order.evidence);

    // BullMQ's multi-key scripts need all of a queue's keys in one slot; the QUEUE_PREFIX hash tag
    // puts them, the ticket cache, the locks and the rate limits on the node serving that slot.
    const prefix = p.cfg.QUEUE_PREFIX;
    const home = await cluster.masterFor(`${prefix}:archive`);
    const ours = (keys: string[]) => keys.filter((k) => k.startsWith(prefix));
    const homeKeys = ours(await keysOn(home.port));
    expect(homeKeys).toEqual(
      expect.arrayContaining([`${prefix}:archive:meta`, `${prefix}:tickets:current:${p.appId}`]),
    );
    for (const n of cluster.nodes.filter((n) => n !== home)) expect(ours(await keysOn(n.port))).toEqual([]);
  });

  test('when the master holding the queue restarts during a callback, then the outbox relay enqueues the order once it is back', async () => {
    const home = await cluster.masterFor(`${p.cfg.QUEUE_PREFIX}:archive`);
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass' });
    await home.crash();
    try {
      const started = Date.now();
      expect((await redirectBack(p, orderNo)).status).toBe(302);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await orderOf(orderNo)).toMatchObject({ status: 'QUEUED', enqueuePending: true });
      // Readiness asks the node serving the deployment's slot, not any node that answers PING.
      await eventually(async () => {
        const ready = (await (await fetch(`${p.web.opsUrl}/readyz`)).json()) as { checks: { redis: { ok: boolean } } };
        return !ready.checks.redis.ok;
      }, 5000);
    } finally {
      await home.up();
    }
    await cluster.waitHealthy();
    const [order] = await allArchived([orderNo], 30_000);
    await expectStoredAsServed(p, orderNo, order!.evidence);
    const job = await p.web.queue.getJob(archiveJobId('faceid', p.appId, orderNo));
    expect(job?.data.reason).toBe('outbox');
  }, 60_000);

  test('when one master is killed mid-run and comes back empty, then every verified order is still archived', async () => {
    const home = await cluster.masterFor(`${p.cfg.QUEUE_PREFIX}:archive`);
    const orderNos = Array.from({ length: 9 }, () => uid('o'));
    // The first three's files lag, so their jobs sit in Redis (active, or delayed for a retry)
    // when the node dies: the crash takes them with it.
    orderNos.forEach((orderNo, i) =>
      p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass', fileDelayMs: i < 3 ? 8000 : 0 }),
    );
    const answers: number[] = [];
    // Three callbacks before the crash, three while the node is down, three after it is back.
    for (const orderNo of orderNos.slice(0, 3)) answers.push((await redirectBack(p, orderNo)).status);
    for (const orderNo of orderNos.slice(0, 3)) {
      await eventually(async () => (await orderOf(orderNo)).archiveAttempts >= 1);
    }
    await home.crash();
    for (const orderNo of orderNos.slice(0, 3)) expect((await orderOf(orderNo)).status).not.toBe('ARCHIVED');
    try {
      for (const orderNo of orderNos.slice(3, 6)) answers.push((await redirectBack(p, orderNo)).status);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await home.up();
    }
    await cluster.waitHealthy();
    for (const orderNo of orderNos.slice(6)) answers.push((await redirectBack(p, orderNo)).status);
    expect(answers).toEqual(orderNos.map(() => 302));

    const orders = await allArchived(orderNos, 45_000);
    for (const order of orders) await expectStoredAsServed(p, order.orderNo, order.evidence);
  }, 120_000);
});

describe('ticket refresh on a Redis Cluster', () => {
  test('when two keepers are asked to refresh in a burst, then one refresh happens under the lock', async () => {
    const db = KeeperHarness.db();
    const h = await new KeeperHarness(db, cluster.topology).start();
    try {
      const a = h.keeper();
      const b = h.keeper();
      await Promise.all([a.start(), b.start()]);
      expect(h.tokenCalls()).toBe(1);
      expect(h.ticketCalls()).toBe(1);
      h.sim.clearRequests();
      const outcomes = await Promise.all([
        ...Array.from({ length: 5 }, () => a.refreshNow(h.appId, 'test burst')),
        ...Array.from({ length: 5 }, () => b.refreshNow(h.appId, 'test burst')),
      ]);
      expect(h.tokenCalls()).toBe(1);
      expect(h.ticketCalls()).toBe(1);
      expect(new Set(outcomes)).toEqual(new Set(['refreshed', 'shared']));
      const ticket = h.sim.currentTicket(h.appId);
      expect(await a.currentTicket(h.appId)).toBe(ticket);
      expect(await b.currentTicket(h.appId)).toBe(ticket);
    } finally {
      await h.close();
      await db.$disconnect();
    }
  });
});
