import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { addEndpoint } from '../../../src/shared/partners/webhook-endpoints';
import { FAST_WEBHOOKS, resultThenArchived, type WebhookHarness } from '../../support/webhook-harness';
import { TestReceiver, typesByOrder } from '../../support/webhook-receiver';
import { testConfig } from '../../support/web-harness';
import { createDb } from '../../../src/shared/platform/db';

/**
 * "Kill the worker that delivers, stop the receiver for an hour, bring both back": the hour is
 * WEBHOOK_TEST_OUTAGE_MS (default 4 s) and the backoff is scaled to it (capped at a quarter of
 * it), so the deliveries fail many times while the receiver is away, as they would over an hour.
 */
const OUTAGE_MS = Number(process.env.WEBHOOK_TEST_OUTAGE_MS ?? 4000);
const ROOT = path.join(__dirname, '../../..');

describe('webhook delivery across a worker crash and a receiver outage', () => {
  const env = {
    ...FAST_WEBHOOKS,
    WEBHOOK_BACKOFF_MAX_MS: String(Math.max(100, Math.floor(OUTAGE_MS / 4))),
    WEBHOOK_DISABLE_AFTER: '1000000',
  };
  const cfg = testConfig(env);
  const h = { cfg, db: createDb(cfg.DATABASE_URL, 4) } as Pick<WebhookHarness, 'cfg' | 'db'>;
  const receiver = new TestReceiver();
  const children: ChildProcess[] = [];

  /** A worker process on this test's app and queue. */
  async function workerProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/webhook-worker-process.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env, WEBANK_APP_ID: cfg.WEBANK_APP_ID, QUEUE_PREFIX: cfg.QUEUE_PREFIX },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
    });
    return child;
  }

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await receiver.stop();
    await h.db.$disconnect();
  });

  test('when the worker is killed mid-delivery and the receiver is away, then afterwards every event arrives exactly once, in order per order', async () => {
    await receiver.start();
    // Slow answers: the kill lands while deliveries are in flight.
    receiver.otherwise = { slowMs: 150 };
    const { secret } = await addEndpoint(
      h.db,
      cfg,
      { url: receiver.url, appKey: 'default', allowPrivate: true, concurrency: 2 },
      { actor: 'cli:test' },
    );
    receiver.secrets = [secret];
    const first = await workerProcess();
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await resultThenArchived(h.db, cfg, i % 3 ? '0' : '66660015'));
    await receiver.waitFor(3, 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await receiver.stop();
    const deliveredBefore = receiver.processed.length;
    expect(deliveredBefore).toBeLessThan(16);

    // While both are down, more outcomes are recorded: their events wait in PostgreSQL.
    for (let i = 0; i < 6; i++) orders.push(await resultThenArchived(h.db, cfg));
    await workerProcess();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    // The outage lasts at least OUTAGE_MS and until deliveries have been retried against it (on a
    // loaded machine the scaled backoff may need longer to fail more attempts than there are orders).
    const failedAttempts = async () =>
      (await h.db.webhookDelivery.aggregate({ where: { endpoint: { url: receiver.url } }, _sum: { attempts: true } }))
        ._sum.attempts ?? 0;
    const deadline = Date.now() + 30_000;
    while ((await failedAttempts()) <= orders.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await failedAttempts()).toBeGreaterThan(orders.length);
    await receiver.start();
    receiver.otherwise = 'ok';

    await receiver.waitFor(orders.length * 2, 60_000);
    // Settle: nothing more should come.
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.processed).toHaveLength(orders.length * 2);
    expect(receiver.processed.every((m) => m.verified)).toBe(true);
    const byOrder = typesByOrder(receiver.processed);
    for (const o of orders) {
      const types = byOrder[o.orderNo]!;
      expect(types).toHaveLength(2);
      expect(types[1]).toBe('evidence.archived');
      expect(types[0]).toMatch(/^verification\.(passed|failed)$/);
    }
    // At least once on the wire (a send cut by the kill may arrive twice), exactly once processed.
    expect(receiver.raw.length).toBeGreaterThanOrEqual(receiver.processed.length);
    const states = await h.db.webhookDelivery.groupBy({
      by: ['status'],
      where: { endpoint: { url: receiver.url } },
      _count: true,
    });
    expect(states).toEqual([{ status: 'delivered', _count: orders.length * 2 }]);
  }, 120_000);
});
