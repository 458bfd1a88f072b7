/**
 * Where one callback's time goes: the four steps of the callback path called one after another
 * by a single client, each timed (wall clock) and charged its CPU time in this process — the
 * same functions the web app calls (src/web/verify-result.ts), on the same PostgreSQL and Redis.
 */
import { dataKey } from '../../src/shared/sealed';
import { config } from '../../src/shared/config';
import { createDb } from '../../src/shared/db';
import { markEnqueued, recordVerifiedResult } from '../../src/shared/orders';
import { createArchiveQueue, enqueueArchive } from '../../src/shared/queues';
import { createRedis } from '../../src/shared/redis';
import { TicketStore } from '../../src/shared/tickets/ticket-store';
import { callbackSign, verifyCallback } from '../../src/shared/webank/signature';
import { onMessage, onStop, run, send } from './ipc';

const STAGES = ['tickets.validAround', 'verifyCallback', 'recordVerifiedResult', 'enqueueArchive', 'markEnqueued'] as const;
type Stage = (typeof STAGES)[number];

run(async () => {
  const cfg = config();
  const app = cfg.apps[0]!;
  const db = createDb(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE);
  const redis = createRedis(cfg.REDIS_URL, 'producer', 'bench-stages');
  const queue = createArchiveQueue(redis, cfg.QUEUE_PREFIX);
  const tickets = new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY));
  await db.$queryRaw`SELECT 1`;
  await queue.waitUntilReady();

  onMessage('measure', async (m) => {
    const n = Number(m.iterations);
    const ticket = String(m.ticket);
    const wall: Record<Stage, number[]> = Object.fromEntries(STAGES.map((s) => [s, []])) as unknown as Record<Stage, number[]>;
    const cpu: Record<Stage, number> = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
    const timed = async <T>(stage: Stage, f: () => Promise<T> | T, record: boolean): Promise<T> => {
      const u = process.cpuUsage();
      const t = performance.now();
      const r = await f();
      if (record) {
        wall[stage].push(performance.now() - t);
        const d = process.cpuUsage(u);
        cpu[stage] += (d.user + d.system) / 1000;
      }
      return r;
    };
    const warm = Math.min(50, Math.ceil(n / 5));
    for (let i = 0; i < warm + n; i++) {
      const rec = i >= warm;
      const orderNo = `st${String(m.run)}n${i}`;
      const signature = callbackSign({ appId: app.appId, orderNo, ticket, code: '0' });
      const candidates = await timed('tickets.validAround', () => tickets.validAround(app.appId, new Date(), cfg.TICKET_GRACE_SECONDS), rec);
      const matched = await timed('verifyCallback', () => verifyCallback({ appId: app.appId, orderNo, code: '0', signature }, candidates), rec);
      if (!matched) throw new Error('signature did not verify');
      const outcome = await timed(
        'recordVerifiedResult',
        () => recordVerifiedResult(db, { appId: app.appId, orderNo, product: app.product, code: '0', channel: 'redirect', ticketMatched: matched.label, params: { code: '0', orderNo } }),
        rec,
      );
      await timed('enqueueArchive', () => enqueueArchive(queue, { appId: app.appId, orderNo, product: app.product, reason: 'redirect' }, { timeoutMs: 5000 }), rec);
      await timed('markEnqueued', () => markEnqueued(db, outcome.orderId), rec);
    }
    const q = (v: number[], p: number) => {
      const s = [...v].sort((a, b) => a - b);
      return Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 100) / 100;
    };
    return {
      type: 'measured',
      iterations: n,
      stages: STAGES.map((s) => ({ stage: s, cpuMs: Math.round((cpu[s] / n) * 1000) / 1000, p50: q(wall[s], 0.5), p99: q(wall[s], 0.99) })),
    };
  });
  onStop(async () => {
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await db.$disconnect();
  });
  send({ type: 'ready' });
});
