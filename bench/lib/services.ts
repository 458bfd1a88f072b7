import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startFauxqs, type FauxqsS3 } from '../../src/dev/fauxqs';
import { createDb, type Db } from '../../src/shared/platform/db';
import { ARCHIVE_QUEUE } from '../../src/shared/orders/archive-queue';
import { disableStaffUser } from '../../src/shared/compliance/staff/accounts';
import type { ScanInput } from '../../src/simulator';
import { startTarget, type Target } from './child';
import { DATABASE_URL, REDIS_URL, serviceEnv, uid } from './env';
import { mapLimit } from './stats';

/**
 * What the sections share in one run: a PostgreSQL client, the simulator and fauxqs (each in its
 * own process, started on first use), and a record of every app id and queue prefix the run
 * created, so `close()` removes its rows and Redis keys from the shared test database and Redis.
 */
export class Services {
  readonly db: Db = createDb(DATABASE_URL, 4);
  /** The WeBank app the simulator knows; sections that archive use it. */
  readonly simApp = { appId: uid('TIDAB'), secret: uid('s', 12) };
  readonly appIds = new Set<string>([this.simApp.appId]);
  readonly queuePrefixes = new Set<string>();
  readonly staffUsers = new Set<string>();
  private sim?: Promise<Target>;
  private s3?: Promise<FauxqsS3>;

  simulator(): Promise<Target> {
    this.sim ??= startTarget('simulator', 'sim-target.ts', {
      env: serviceEnv({ SIM_APPS: JSON.stringify([this.simApp]) }),
    });
    return this.sim;
  }

  async simUrl(): Promise<string> {
    return String((await this.simulator()).info.url);
  }

  fauxqs(): Promise<FauxqsS3> {
    this.s3 ??= startFauxqs({ bucket: uid('bench-') });
    return this.s3;
  }

  newQueuePrefix(): string {
    const p = `{${uid('bench')}}`;
    this.queuePrefixes.add(p);
    return p;
  }

  /** The environment of a worker/web target on the simulator and fauxqs. */
  async archiveEnv(extra: Record<string, string>): Promise<Record<string, string | undefined>> {
    const s3 = await this.fauxqs();
    return serviceEnv({
      ...s3.s3Env,
      WEBANK_APP_ID: this.simApp.appId,
      WEBANK_SECRET: this.simApp.secret,
      WEBANK_BASE_URL: await this.simUrl(),
      ARCHIVE_RATE_PER_SECOND: '0',
      ...extra,
    });
  }

  /** Creates scans on the simulator through its control API. */
  async createScans(scans: Omit<ScanInput, 'appId'>[]): Promise<void> {
    const url = await this.simUrl();
    await mapLimit(scans, 8, async (scan) => {
      const res = await fetch(`${url}/control/scans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId: this.simApp.appId, ...scan }),
      });
      if (res.status !== 201) throw new Error(`simulator refused a scan: ${res.status} ${await res.text()}`);
    });
  }

  /** The simulator's current SIGN ticket for the bench app (to sign the ceiling's queries). */
  async simTicket(): Promise<string> {
    const res = await fetch(`${await this.simUrl()}/control/tickets/${this.simApp.appId}`);
    return ((await res.json()) as { current: string }).current;
  }

  /** Orders as the callback leaves them (QUEUED, verified), for the archiver to pick up. */
  async insertQueuedOrders(appId: string, orderNos: string[]): Promise<void> {
    const now = new Date();
    await this.db.order.createMany({
      data: orderNos.map((orderNo) => ({
        appId,
        orderNo,
        product: 'faceid',
        status: 'QUEUED' as const,
        source: 'CALLBACK' as const,
        callbackCode: '0',
        verifiedAt: now,
        enqueuePending: false,
        enqueuedAt: now,
      })),
    });
  }

  /** Removes every object under `prefix` in the bench bucket, so fauxqs does not grow run after run. */
  async emptyBucket(prefix = ''): Promise<void> {
    const s3 = await this.fauxqs();
    for (;;) {
      const list = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, MaxKeys: 1000 }));
      const keys = (list.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length === 0) return;
      await s3.client.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: keys, Quiet: true } }));
      if (!list.IsTruncated) return;
    }
  }

  async close(): Promise<void> {
    const ids = [...this.appIds];
    await this.db.$executeRaw`DELETE FROM callback_events WHERE app_id = ANY(${ids})`.catch(() => undefined);
    await this.db.$executeRaw`DELETE FROM orders WHERE app_id = ANY(${ids})`.catch(() => undefined);
    await this.db.$executeRaw`DELETE FROM tickets WHERE app_id = ANY(${ids})`.catch(() => undefined);
    // Staff accounts are never deleted (the audit trail names them): the bench's are disabled.
    for (const username of this.staffUsers) {
      await disableStaffUser(this.db, username).catch(() => undefined);
    }
    if (this.queuePrefixes.size) {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      for (const prefix of this.queuePrefixes) {
        const q = new Queue(ARCHIVE_QUEUE, { connection: redis, prefix });
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close().catch(() => undefined);
        // The ticket keeper's lock and cache keys live under the same prefix.
        const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
        if (keys.length) await redis.del(...keys).catch(() => undefined);
      }
      redis.disconnect();
    }
    const sim = this.sim && (await this.sim.catch(() => undefined));
    await sim?.stop();
    const s3 = this.s3 && (await this.s3.catch(() => undefined));
    await s3?.stop();
    await this.db.$disconnect();
  }
}
