/**
 * Where one callback's time goes: the steps of the callback path called one after another by a
 * single client, each timed (wall clock) and charged its CPU time in this process — the same
 * functions the web app calls (src/web/verify-result.ts, src/web/result-recorder.ts), on the
 * same PostgreSQL and Redis. The storage steps run twice: for a batch of one order (a lone
 * callback) and for a batch of 16 (what concurrent callbacks share), charged per order.
 */
import { dataKey } from '../../src/shared/platform/sealed';
import { config } from '../../src/shared/platform/config';
import { createDb } from '../../src/shared/platform/db';
import { markEnqueuedMany, recordVerifiedResults, type VerifiedResult } from '../../src/shared/orders/callback-results';
import { createArchiveQueue, enqueueArchiveMany } from '../../src/shared/orders/archive-queue';
import { createRedis } from '../../src/shared/platform/redis';
import { TicketCandidateCache } from '../../src/shared/webank/tickets/candidate-cache';
import { TicketStore } from '../../src/shared/webank/tickets/ticket-store';
import { callbackSign, verifyCallback } from '../../src/shared/webank/signature';
import { onMessage, onStop, run, send } from './ipc';

const BATCHES = [1, 16] as const;
const STEPS = [
  'tickets.validAround (cached)',
  'verifyCallback',
  ...BATCHES.flatMap((b) => [`recordVerifiedResults ×${b}`, `enqueueArchiveMany ×${b}`, `markEnqueuedMany ×${b}`]),
];

run(async () => {
  const cfg = config();
  const app = cfg.apps[0]!;
  const db = createDb(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE);
  const redis = createRedis(cfg.redis, 'producer', 'bench-stages');
  const queue = createArchiveQueue(redis, cfg.QUEUE_PREFIX);
  const tickets = new TicketCandidateCache(new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY)));
  await db.$queryRaw`SELECT 1`;
  await queue.waitUntilReady();

  onMessage('measure', async (m) => {
    const n = Number(m.iterations);
    const ticket = String(m.ticket);
    const wall = new Map<string, number[]>(STEPS.map((s) => [s, []]));
    const cpu = new Map<string, number>(STEPS.map((s) => [s, 0]));
    const orders = new Map<string, number>(STEPS.map((s) => [s, 0]));
    /** Times one step that handles `count` orders; wall and CPU are charged per order. */
    const timed = async <T>(step: string, count: number, f: () => Promise<T> | T, record: boolean): Promise<T> => {
      const u = process.cpuUsage();
      const t = performance.now();
      const r = await f();
      if (record) {
        wall.get(step)!.push((performance.now() - t) / count);
        const d = process.cpuUsage(u);
        cpu.set(step, cpu.get(step)! + (d.user + d.system) / 1000);
        orders.set(step, orders.get(step)! + count);
      }
      return r;
    };
    const warm = Math.min(50, Math.ceil(n / 5));
    let seq = 0;
    for (const size of BATCHES) {
      const rounds = Math.max(1, Math.ceil(n / size));
      const warmRounds = Math.max(1, Math.ceil(warm / size));
      for (let round = 0; round < warmRounds + rounds; round++) {
        const rec = round >= warmRounds;
        const results: VerifiedResult[] = [];
        for (let k = 0; k < size; k++) {
          const orderNo = `st${String(m.run)}n${seq++}`;
          const signature = callbackSign({ appId: app.appId, orderNo, ticket, code: '0' });
          const candidates = await timed(
            'tickets.validAround (cached)',
            1,
            () => tickets.validAround(app.appId, new Date(), cfg.TICKET_GRACE_SECONDS),
            rec,
          );
          const matched = await timed(
            'verifyCallback',
            1,
            () => verifyCallback({ appId: app.appId, orderNo, code: '0', signature }, candidates),
            rec,
          );
          if (!matched) throw new Error('signature did not verify');
          results.push({
            appId: app.appId,
            orderNo,
            product: app.product,
            code: '0',
            channel: 'redirect',
            ticketMatched: matched.label,
            params: { code: '0', orderNo },
          });
        }
        const outcomes = await timed(
          `recordVerifiedResults ×${size}`,
          size,
          () => recordVerifiedResults(db, results),
          rec,
        );
        const jobs = results.map((r) => ({
          appId: r.appId,
          orderNo: r.orderNo,
          product: r.product,
          reason: 'redirect',
        }));
        await timed(
          `enqueueArchiveMany ×${size}`,
          size,
          () => enqueueArchiveMany(queue, jobs, { timeoutMs: 5000 }),
          rec,
        );
        await timed(
          `markEnqueuedMany ×${size}`,
          size,
          () =>
            markEnqueuedMany(
              db,
              outcomes.map((o) => o.orderId),
            ),
          rec,
        );
      }
    }
    const q = (v: number[], p: number) => {
      const s = [...v].sort((a, b) => a - b);
      return Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 100) / 100;
    };
    return {
      type: 'measured',
      iterations: n,
      stages: STEPS.map((s) => ({
        stage: s,
        cpuMs: Math.round((cpu.get(s)! / Math.max(1, orders.get(s)!)) * 1000) / 1000,
        p50: q(wall.get(s)!, 0.5),
        p99: q(wall.get(s)!, 0.99),
      })),
    };
  });
  onStop(async () => {
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await db.$disconnect();
  });
  send({ type: 'ready' });
});
