import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createDb } from '../../../src/shared/platform/db';
import { orderKeyPrefix } from '../../../src/shared/evidence/keys';
import { EvidenceStore } from '../../../src/shared/evidence/evidence-store';
import { archiveJobId, createArchiveQueue, enqueueArchive } from '../../../src/shared/orders/archive-queue';
import { createRedis } from '../../../src/shared/platform/redis';
import { startSimulator } from '../../../src/simulator';
import { startFauxqs } from '../../support/fauxqs';
import { eventually } from '../../support/pipeline';
import { TcpProxy } from '../../support/tcp-proxy';
import { freePort } from '../../support/throwaway-redis';
import { testConfig, uid } from '../../support/web-harness';

const ROOT = path.join(__dirname, '../../..');
const SHUTDOWN_TIMEOUT_MS = 3000;

interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The worker entry point (src/workers/main.ts) in its own process, configured by its environment.
 * Node with tsx as a loader, not the `tsx` CLI: the CLI relays SIGTERM to its child and SIGKILLs
 * it unless the child acknowledges within 30 ms, which a worker busy streaming a video misses.
 */
function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/workers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

async function ready(port: number): Promise<void> {
  await eventually(
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok,
    20_000,
    200,
  );
}

describe('worker shutdown', () => {
  test('when SIGTERM arrives mid-upload of a 30 MB video, then the job is released with no half-written evidence, and a restarted worker archives it fully', async () => {
    const appId = uid('TIDA');
    const secret = uid('s');
    const sim = await startSimulator({ apps: [{ appId, secret }] });
    const s3 = await startFauxqs();
    // WeBank's answer comes through a throttled proxy: ~40 MB of base64 at 3 MB/s takes ~13 s.
    const proxy = await TcpProxy.start(Number(new URL(sim.url).port), { bytesPerSecond: 3_000_000 });
    const healthPort = await freePort();
    const env: Record<string, string> = {
      WEBANK_APP_ID: appId,
      WEBANK_SECRET: secret,
      WEBANK_BASE_URL: proxy.url,
      QUEUE_PREFIX: `{${uid('sd')}}`,
      WORKER_PORT: String(healthPort),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      ARCHIVE_POLL_INTERVAL_MS: '300',
      LOG_LEVEL: 'info',
      ...s3.s3Env,
    };
    const cfg = testConfig(env);
    const db = createDb(cfg.DATABASE_URL, 2);
    const redis = createRedis(cfg.redis, 'producer', 'test-shutdown');
    const queue = createArchiveQueue(redis, cfg.QUEUE_PREFIX);
    const evidence = EvidenceStore.fromConfig(cfg);
    const workers: WorkerProcess[] = [];
    try {
      const first = spawnWorker(env);
      workers.push(first);
      await ready(healthPort);

      const orderNo = uid('sd');
      sim.createScan({ appId, orderNo, outcome: 'pass', videoBytes: 30_000_000 });
      const order = await db.order.create({
        data: { appId, orderNo, status: 'QUEUED', source: 'CALLBACK', callbackCode: '0', verifiedAt: new Date() },
      });
      await enqueueArchive(queue, { appId, orderNo, product: 'faceid', reason: 'test' });

      // Well into the video: its multipart upload is under way.
      await eventually(async () => proxy.bytesToClient > 6_000_000, 20_000, 50);
      expect((await db.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe('ARCHIVING');
      const signalledAt = Date.now();
      first.child.kill('SIGTERM');
      const exit = await first.exited;
      const tookMs = Date.now() - signalledAt;
      // Exit 0 means it beat its own deadline (onShutdown exits 1 at SHUTDOWN_TIMEOUT_MS); the
      // margin is only for a loaded machine scheduling the processes late.
      expect(exit).toEqual({ code: 0, signal: null });
      expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2000);
      expect(first.output.join('')).toContain('releasing them');

      // Released, not failed: back in the wait list with no attempt used, the order QUEUED again.
      const jobId = archiveJobId('faceid', appId, orderNo);
      expect(await queue.getJobState(jobId)).toBe('waiting');
      expect((await queue.getJob(jobId))?.attemptsMade).toBe(0);
      const released = await db.order.findUniqueOrThrow({
        where: { id: order.id },
        include: { evidence: true, timeline: true },
      });
      expect(released.status).toBe('QUEUED');
      expect(released.timeline.map((e) => e.type)).toContain('archive_released');
      // Every evidence row names a complete object; the video has neither row nor object.
      expect(released.evidence.map((e) => e.kind)).not.toContain('video');
      for (const row of released.evidence) {
        const head = await evidence.head(row.key);
        expect(head).toMatchObject({ bytes: Number(row.bytes), sha256: row.sha256 });
      }
      const prefix = orderKeyPrefix(cfg.S3_PREFIX, { appId, orderNo, date: order.createdAt });
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: cfg.S3_BUCKET, Prefix: prefix }));
      expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(released.evidence.map((e) => e.key).sort());

      // A restarted worker (WeBank at full speed now) archives the whole order.
      proxy.setRate(undefined);
      const second = spawnWorker(env);
      workers.push(second);
      const done = await eventually(
        async () => {
          const o = await db.order.findUniqueOrThrow({ where: { id: order.id }, include: { evidence: true } });
          return o.status === 'ARCHIVED' ? o : undefined;
        },
        30_000,
        200,
      );
      const video = done.evidence.find((e) => e.kind === 'video')!;
      const served = sim.servedMediaDigest(appId, orderNo).video!;
      expect(video).toMatchObject({ sha256: served.sha256, bytes: BigInt(served.size) });
      expect(await evidence.head(video.key)).toMatchObject({ bytes: served.size, sha256: served.sha256 });
      second.child.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    } catch (err) {
      for (const w of workers) process.stderr.write(`--- worker output ---\n${w.output.join('').slice(-4000)}\n`);
      throw err;
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close().catch(() => undefined);
      redis.disconnect();
      evidence.close();
      await db.$disconnect();
      await proxy.close();
      await s3.stop();
      await sim.close();
    }
  }, 60_000);
});
