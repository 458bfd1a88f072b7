import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { startSimulator, type Simulator } from '../../../src/simulator';
import { createDb, type Db } from '../../../src/shared/platform/db';
import { migrate } from '../../../src/shared/platform/migrate';
import { createRedis, type RedisClient } from '../../../src/shared/platform/redis';
import { ARCHIVE_QUEUE, type ArchiveJobData } from '../../../src/shared/orders/archive-queue';
import { startFauxqs, type FauxqsS3 } from '../../support/fauxqs';
import { freePort } from '../../support/throwaway-redis';
import { FaultProxy } from './fault-proxy';
import { FaultCluster } from './fault-cluster';
import { FaultRedis } from './fault-redis';
import type { Profile } from './profile';
import { Reaper } from './reaper';
import { ServiceProcess, type LogLine } from './service-process';
import { TestReceiver } from '../../support/webhook-receiver';
import { newWebhookSecret, sealSecret } from '../../../src/shared/partners/webhook-secret';

export const ROOT = path.resolve(__dirname, '../../..');
export type ServiceName = 'web' | 'worker-1' | 'worker-2';

/** The secrets of one run: the log scan looks for each of them. */
export interface RunSecrets {
  webankSecret: string;
  dataKey: string;
  s3Secret: string;
}

/**
 * Everything one fault run starts, all on loopback and all its own: the WeBank simulator (in
 * this process), fauxqs (child) behind one proxy per worker replica, a redis-server, the web
 * process and two worker replicas (children, through the real entry points), plus an observer
 * database connection and queue handle for the final checks. App id, queue prefix, bucket and
 * PostgreSQL application_name are unique to the run.
 */
export class World {
  readonly runId = randomBytes(4).toString('hex');
  readonly appId = `TIDAfault${this.runId}`;
  readonly queuePrefix = `{faults${this.runId}}`;
  readonly secrets: RunSecrets = {
    webankSecret: `wbsecret${randomBytes(16).toString('hex')}`,
    dataKey: randomBytes(32).toString('base64'),
    s3Secret: `s3secret${randomBytes(16).toString('hex')}`,
  };
  readonly logs: LogLine[] = [];
  readonly reaper = new Reaper();
  readonly artifacts: string;
  sim!: Simulator;
  s3!: FauxqsS3;
  /** One redis-server, or a 3-master Redis Cluster with FAULT_REDIS=cluster (`npm run test:faults:cluster`). */
  redis!: FaultRedis | FaultCluster;
  /** Per worker replica: its own way to WeBank and to S3, so a transfer names the replica doing it. */
  simProxies: FaultProxy[] = [];
  s3Proxies: FaultProxy[] = [];
  web!: ServiceProcess;
  workers: ServiceProcess[] = [];
  db!: Db;
  pg!: Client;
  queue!: Queue<ArchiveJobData>;
  private queueRedis?: RedisClient;
  private databaseCreated = false;
  webUrl = '';
  /**
   * The partner's webhook receiver, failing on purpose: seeded 5xx answers, hangs past the
   * workers' timeout and slow answers, and an outage in the middle of the window (the suite stops
   * and restarts it). Its endpoint is a row of the run's database (plain http on loopback, which
   * the production-mode services would refuse to register, but deliver to once it exists).
   */
  receiver = new TestReceiver();
  /** Pids still running after every piece was asked to stop (should be none). */
  leftover: number[] = [];

  constructor(
    readonly profile: Profile,
    readonly seed: number,
  ) {
    this.artifacts = path.join(ROOT, 'test-artifacts', 'faults', `${seed}-${this.runId}`);
  }

  /** application_name of each service's PostgreSQL connections: what pg-terminate aims at, and nothing else. */
  appName(service: ServiceName | 'observer'): string {
    return `faultsuite-${this.runId}-${service}`;
  }

  /** The run's own database, on the server of DATABASE_URL. */
  readonly database = `faultsuite_${this.runId}`;

  databaseUrl(service: ServiceName | 'observer' | 'admin'): string {
    const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test');
    if (service !== 'admin') url.pathname = `/${this.database}`;
    url.searchParams.set('application_name', this.appName(service === 'admin' ? 'observer' : service));
    return url.toString();
  }

  /**
   * A database of its own, migrated like the test database: other suites running at the same
   * time (npm test runs two files at once) share `test`, and their outbox relays and ours would
   * otherwise enqueue each other's orders (see docs/faults.md, "findings").
   */
  private async createDatabase(): Promise<void> {
    const admin = new Client({ connectionString: this.databaseUrl('admin') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${this.database}`);
      this.databaseCreated = true;
    } finally {
      await admin.end();
    }
    await migrate(this.databaseUrl('observer'));
  }

  private async dropDatabase(): Promise<void> {
    if (!this.databaseCreated || process.env.FAULT_KEEP_DB === '1') return;
    const admin = new Client({ connectionString: this.databaseUrl('admin') });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }

  async start(): Promise<void> {
    await this.createDatabase();
    this.sim = await startSimulator({
      apps: [{ appId: this.appId, secret: this.secrets.webankSecret }],
      ticketGraceMs: this.profile.ticketGraceMs,
      seed: this.seed,
    });
    [this.s3, this.redis] = await Promise.all([
      startFauxqs({ bucket: `faults-${this.runId}` }),
      process.env.FAULT_REDIS === 'cluster'
        ? FaultCluster.start(this.reaper, this.queuePrefix)
        : FaultRedis.start(this.reaper),
    ]);
    const s3Port = Number(new URL(this.s3.endpoint).port);
    for (let i = 0; i < 2; i++) {
      this.simProxies.push(await FaultProxy.start(`webank-${i + 1}`, this.sim.port));
      this.s3Proxies.push(await FaultProxy.start(`s3-${i + 1}`, s3Port));
    }
    this.db = createDb(this.databaseUrl('observer'), 4);
    await this.startReceiver();
    this.pg = new Client({ connectionString: this.databaseUrl('observer') });
    await this.pg.connect();

    const webPort = await freePort();
    this.webUrl = `http://127.0.0.1:${webPort}`;
    this.web = new ServiceProcess(
      {
        name: 'web',
        entry: 'src/web/server.ts',
        // OPS_PORT: the web's internal /readyz and /metrics port, free like the others.
        env: this.env('web', { PORT: String(webPort), OPS_PORT: String(await freePort()) }),
        readyUrl: `${this.webUrl}/healthz`,
      },
      this.reaper,
      this.artifacts,
      this.logs,
    );
    for (let i = 0; i < 2; i++) {
      const name = `worker-${i + 1}` as ServiceName;
      const port = await freePort();
      const proxies = { WEBANK_BASE_URL: this.simProxies[i]!.url, S3_ENDPOINT: this.s3Proxies[i]!.url };
      this.workers.push(
        new ServiceProcess(
          {
            name,
            entry: 'src/workers/main.ts',
            env: this.env(name, { WORKER_PORT: String(port), ...proxies }),
            readyUrl: `http://127.0.0.1:${port}/healthz`,
          },
          this.reaper,
          this.artifacts,
          this.logs,
        ),
      );
    }
    await Promise.all([this.web.start(), ...this.workers.map((w) => w.start())]);
    // Callbacks need a SIGN ticket in PostgreSQL: wait until both replicas say they hold one.
    await Promise.all(this.workers.map((w) => waitReady(w.spec.readyUrl.replace('/healthz', '/readyz'), 30_000)));

    this.queueRedis = createRedis(this.redis.topology, 'worker', 'faultsuite-observer');
    this.queue = new Queue<ArchiveJobData>(ARCHIVE_QUEUE, { connection: this.queueRedis, prefix: this.queuePrefix });
    this.queue.on('error', () => undefined);
  }

  private async startReceiver(): Promise<void> {
    let n = 0;
    // Deterministic per seed: about one answer in four fails one way or another.
    this.receiver.otherwise = () => {
      const k = (n++ * 2654435761 + this.seed) % 20;
      return k < 3 ? '500' : k === 3 ? '503' : k === 4 ? 'hang' : k === 5 ? { slowMs: 400 } : 'ok';
    };
    await this.receiver.start();
    const secret = newWebhookSecret();
    this.receiver.secrets = [secret];
    await this.db.webhookEndpoint.create({
      data: {
        url: this.receiver.url,
        appKey: 'default',
        appId: this.appId,
        description: 'fault suite: failing on purpose',
        secretSealed: sealSecret(secret, this.secrets.dataKey),
        allowPrivate: true,
        concurrency: 4,
        ratePerSecond: 50,
      },
    });
  }

  service(name: ServiceName): ServiceProcess {
    return name === 'web' ? this.web : (this.workers[name === 'worker-1' ? 0 : 1] as ServiceProcess);
  }

  /** The service configuration, as an operator would write it (.env.example), pointed at this run's dependencies. */
  private env(name: ServiceName, extra: Record<string, string>): Record<string, string> {
    return {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: this.databaseUrl(name),
      DATABASE_POOL_SIZE: '5',
      ...this.redis.env,
      QUEUE_PREFIX: this.queuePrefix,
      TRUST_PROXY: 'loopback',
      WEBANK_BASE_URL: this.sim.url,
      WEBANK_APP_ID: this.appId,
      WEBANK_SECRET: this.secrets.webankSecret,
      WEBANK_TIMEOUT_MS: '2000',
      S3_ENDPOINT: this.s3.endpoint,
      S3_REGION: this.s3.region,
      S3_BUCKET: this.s3.bucket,
      S3_ACCESS_KEY_ID: 'faultsuite',
      S3_SECRET_ACCESS_KEY: this.secrets.s3Secret,
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: 'evidence',
      DATA_ENCRYPTION_KEY: this.secrets.dataKey,
      PII_STORAGE: 'keep',
      RESULT_REDIRECT_URL: 'https://partner.example.com/face/result',
      OUTBOX_RELAY_INTERVAL_MS: '500',
      ARCHIVE_CONCURRENCY: '4',
      ARCHIVE_RATE_PER_SECOND: '50',
      ARCHIVE_POLL_ATTEMPTS: '3',
      ARCHIVE_POLL_INTERVAL_MS: '500',
      ARCHIVE_BACKOFF_MS: '500',
      ARCHIVE_RETRY_HORIZON_MINUTES: '60',
      SHUTDOWN_TIMEOUT_MS: '8000',
      ARCHIVE_LOCK_MS: String(this.profile.archiveLockMs),
      ARCHIVE_STALLED_CHECK_MS: String(this.profile.stalledCheckMs),
      // The failing receiver: short timeout and backoff so its retries fit the settle time; never
      // auto-disabled (the check is that nothing is lost, not that a bad endpoint is given up on).
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_BACKOFF_BASE_MS: '200',
      WEBHOOK_BACKOFF_MAX_MS: '2000',
      WEBHOOK_DISABLE_AFTER: '1000000',
      WEBHOOK_FANOUT_INTERVAL_MS: '500',
      // Like the archive jobs': a delivery cut off by a worker kill or the Redis crash comes back in time.
      WEBHOOK_LOCK_MS: String(this.profile.archiveLockMs),
      WEBHOOK_STALLED_CHECK_MS: String(this.profile.stalledCheckMs),
      TICKET_REREAD_MIN_GAP_SECONDS: String(this.profile.ticketRereadGapSeconds),
      ...extra,
    };
  }

  /** Stops every process and connection this run started; safe to call twice and after a failed start. */
  async close(): Promise<void> {
    const quiet = async (p: Promise<unknown> | undefined) => {
      await p?.catch(() => undefined);
    };
    await Promise.all([this.web, ...this.workers].filter(Boolean).map((s) => quiet(s.close())));
    await quiet(this.queue?.close());
    this.queueRedis?.disconnect();
    await Promise.all([...this.simProxies, ...this.s3Proxies].map((p) => quiet(p.close())));
    await quiet(this.receiver.stop());
    await quiet(this.redis?.stop());
    await quiet(this.s3?.stop());
    await quiet(this.sim?.close());
    await quiet(this.db?.$disconnect());
    await quiet(this.pg?.end());
    // Whatever is still running now was not stopped by its own shutdown: reported, then killed.
    this.leftover = this.reaper.running();
    await this.reaper.close();
    await quiet(this.dropDatabase());
  }
}

export async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return;
      last = await res.text();
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms: ${last.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
