import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator';
import type { Config, Product, QueryApi } from '../../src/shared/platform/config';
import { EvidenceStore } from '../../src/shared/evidence/evidence-store';
import { startWorkerRuntime } from '../../src/workers/main';
import type { EmulatedS3 } from '../../src/dev/s3-emulator';
import { startFauxqs } from './fauxqs';
import { startWeb, testConfig, uid, type WebHarness } from './web-harness';

export interface Pipeline {
  sim: Simulator;
  s3: EmulatedS3;
  web: WebHarness;
  workers: Awaited<ReturnType<typeof startWorkerRuntime>> | undefined;
  cfg: Config;
  evidence: EvidenceStore;
  appId: string;
  /** App id per key, the default app included. */
  appIds: Record<string, string>;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole service on one machine for a test: the WeBank simulator and S3 on free ports,
 * the web app, and (optionally started later) a worker runtime, all on the real PostgreSQL and
 * Redis with this test's own app id and queue prefix.
 */
export async function startPipeline(
  opts: {
    env?: Record<string, string>;
    sim?: Partial<SimulatorOptions>;
    workers?: boolean;
    /**
     * More WeBank apps (other products), reachable at `${CALLBACK_PATH}/<key>`. An app with
     * `queryApi: 'queryfacerecord'` queries the simulator unless it names a `queryBaseUrl`.
     */
    extraApps?: { key: string; product: Product; queryApi?: QueryApi; requiredFiles?: string[] }[];
    /** The S3 implementation to archive to (default fauxqs; see s3-implementations.ts). */
    s3?: () => Promise<EmulatedS3>;
  } = {},
): Promise<Pipeline> {
  const appId = uid('TIDA');
  const secret = uid('secret');
  const extra = (opts.extraApps ?? []).map((a) => ({ ...a, appId: uid('TIDA'), secret: uid('secret') }));
  const sim = await startSimulator({ apps: [{ appId, secret }, ...extra], ...opts.sim });
  const s3 = await (opts.s3 ?? startFauxqs)();
  const cfg = testConfig({
    WEBANK_APP_ID: appId,
    WEBANK_SECRET: secret,
    WEBANK_BASE_URL: sim.url,
    WEBANK_TIMEOUT_MS: '3000',
    ARCHIVE_POLL_INTERVAL_MS: '300',
    ARCHIVE_BACKOFF_MS: '500',
    ARCHIVE_CONCURRENCY: '4',
    OUTBOX_RELAY_INTERVAL_MS: '200',
    ...(extra.length
      ? {
          WEBANK_APPS: JSON.stringify(
            extra.map((a) => (a.queryApi === 'queryfacerecord' ? { queryBaseUrl: sim.url, ...a } : a)),
          ),
        }
      : {}),
    ...s3.s3Env,
    ...opts.env,
  });
  const web = await startWeb({ cfg, refresher: true });
  const evidence = EvidenceStore.fromConfig(cfg);
  const p: Pipeline = {
    sim,
    s3,
    web,
    cfg: web.cfg,
    evidence,
    appId,
    appIds: Object.fromEntries(cfg.apps.map((a) => [a.key, a.appId])),
    workers: undefined,
    async startWorkers() {
      p.workers = await startWorkerRuntime(cfg, { port: false });
    },
    async stopWorkers() {
      await p.workers?.close();
      p.workers = undefined;
    },
    async close() {
      await p.stopWorkers();
      await web.close();
      evidence.client.destroy();
      await s3.stop();
      await sim.close();
    },
  };
  if (opts.workers !== false) await p.startWorkers();
  return p;
}

/** Polls until `fn` returns a truthy value or the time is up. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  stepMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Follows a scan through the browser's path: the simulator's redirect to our callback. */
export async function redirectBack(p: Pipeline, orderNo: string, appKey = 'default'): Promise<Response> {
  const q = new URLSearchParams(p.sim.callbackQuery(p.appIds[appKey]!, orderNo));
  const path = appKey === 'default' ? p.cfg.CALLBACK_PATH : `${p.cfg.CALLBACK_PATH}/${appKey}`;
  return fetch(`${p.web.url}${path}?${q}`, { redirect: 'manual' });
}

/** An object's bytes, read straight from the pipeline's S3 (not through the code under test). */
export async function objectBytes(p: Pipeline, key: string): Promise<Buffer> {
  const res = await p.s3.client.send(new GetObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/**
 * Checks each evidence row of an order against S3 and the simulator: the object holds exactly
 * the bytes WeBank served, the row's SHA-256 and size are theirs, and the object's metadata
 * carries the same hash and the file's type.
 */
export async function expectStoredAsServed(
  p: Pipeline,
  orderNo: string,
  evidence: ReadonlyArray<{ kind: string; key: string; sha256: string; bytes: bigint | number }>,
): Promise<void> {
  const served = p.sim.servedMedia(p.appId, orderNo);
  for (const ev of evidence) {
    const original = served[ev.kind]!;
    expect((await objectBytes(p, ev.key)).equals(original)).toBe(true);
    expect(ev.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    expect(Number(ev.bytes)).toBe(original.length);
    const head = await p.s3.client.send(new HeadObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: ev.key }));
    expect(head.Metadata?.sha256).toBe(ev.sha256);
    expect(head.ContentType).toBe(ev.kind === 'video' ? 'video/mp4' : 'image/jpeg');
  }
}
