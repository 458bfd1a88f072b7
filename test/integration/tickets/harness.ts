import { randomBytes } from 'node:crypto';
import type { RedisClient, RedisTopology } from '../../../src/shared/platform/redis';
import { createDb, type Db } from '../../../src/shared/platform/db';
import { createRedis } from '../../../src/shared/platform/redis';
import { dataKey } from '../../../src/shared/platform/sealed';
import { TicketKeeper, type TicketKeeperOptions } from '../../../src/shared/webank/tickets/keeper';
import { WebankClient } from '../../../src/shared/webank/client';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator';

/**
 * One ticket-keeper scenario: its own WeBank app in its own simulator, its own Redis key prefix,
 * the shared test database (rows are per app id, so concurrent suites never see each other's).
 */
export class KeeperHarness {
  readonly appId = `TIDA${randomBytes(5).toString('hex')}`;
  readonly secret = `sec-${randomBytes(16).toString('hex')}`;
  readonly keyPrefix = `test:tickets:${randomBytes(4).toString('hex')}`;
  readonly key = dataKey(process.env.DATA_ENCRYPTION_KEY ?? '');
  sim!: Simulator;
  private readonly closers: (() => Promise<unknown> | void)[] = [];

  /** Where the keepers' Redis is: the shared test Redis, or a cluster or sentinel set-up (redis-topologies.ts). */
  constructor(
    readonly db: Db,
    private readonly redisSource: RedisTopology | string = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  ) {}

  static db(): Db {
    return createDb(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test', 4);
  }

  async start(simOpts: Partial<SimulatorOptions> = {}): Promise<this> {
    this.sim = await startSimulator({ port: 0, apps: [{ appId: this.appId, secret: this.secret }], ...simOpts });
    this.closers.push(() => this.sim.close());
    return this;
  }

  redis(source: RedisTopology | string = this.redisSource): RedisClient {
    const r = createRedis(source, 'producer', 'ticket-test');
    this.closers.push(() => r.quit().catch(() => r.disconnect()));
    return r;
  }

  /** A connection that is ready for commands (a producer connection refuses them until then). */
  async readyRedis(): Promise<RedisClient> {
    const r = this.redis();
    if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
    return r;
  }

  /** A keeper as a worker replica would run it, with ms-scale durations. */
  keeper(overrides: Partial<TicketKeeperOptions> = {}): TicketKeeper {
    const client = new WebankClient({ apps: [{ appId: this.appId, baseUrl: this.sim.url }], timeoutMs: 1000 });
    const k = new TicketKeeper({
      db: this.db,
      redis: overrides.redis ?? this.redis(),
      dataKey: this.key,
      keyPrefix: this.keyPrefix,
      graceMs: 600,
      apps: [{ appId: this.appId, secret: this.secret }],
      client,
      refreshIntervalMs: 60_000,
      safetyMarginMs: 1000,
      lockTtlMs: 2000,
      lockPollMs: 50,
      retryBaseMs: 100,
      retryMaxMs: 400,
      debounceMs: 30,
      minForcedGapMs: 0,
      ...overrides,
    });
    // Keepers stop before the simulator closes (closers run in reverse).
    this.closers.push(() => client.close());
    this.closers.push(() => k.stop());
    return k;
  }

  tokenCalls(): number {
    return this.sim.requests({ path: '/api/oauth2/access_token' }).length;
  }

  ticketCalls(): number {
    return this.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
  }

  async close(): Promise<void> {
    for (const c of this.closers.reverse()) await c();
    await this.db.ticket.deleteMany({ where: { appId: this.appId } });
  }
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
