import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../../../src/shared/platform/db';
import { startSimulator, type Simulator } from '../../../src/simulator';
import { Reaper } from '../../faults/support/reaper';
import { ServiceProcess, type LogLine } from '../../faults/support/service-process';
import { waitReady } from '../../faults/support/world';
import { startFauxqs, type FauxqsS3 } from '../../support/fauxqs';
import { eventually } from '../../support/pipeline';
import { LocalRedisCluster } from '../../support/redis-topologies';
import { freePort } from '../../support/throwaway-redis';

/**
 * The web and worker entry points as separate processes (what `npm run start:web` /
 * `start:worker` run, through tsx), configured only by environment variables with
 * REDIS_CLUSTER_NODES pointing at a real 3-master cluster: a verified callback is archived.
 * CLUSTER_E2E_DIST=1 runs `npm run build`'s output (dist/) instead of the sources.
 */
const entry = (src: string) => (process.env.CLUSTER_E2E_DIST === '1' ? `dist/${src.replace(/\.ts$/, '.js')}` : src);
const id = randomBytes(4).toString('hex');
const appId = `TIDAproc${id}`;
const secret = `secret${randomBytes(8).toString('hex')}`;
const logs: LogLine[] = [];
const artifacts = path.join(os.tmpdir(), `cluster-processes-${id}`);
let cluster: LocalRedisCluster;
let sim: Simulator;
let s3: FauxqsS3;
let reaper: Reaper;
let db: Db;
let web: ServiceProcess;
let worker: ServiceProcess;
let webUrl: string;

beforeAll(async () => {
  reaper = new Reaper();
  [cluster, s3, sim] = await Promise.all([
    LocalRedisCluster.start({ onSpawn: (c) => reaper.add(c) }),
    startFauxqs(),
    startSimulator({ apps: [{ appId, secret }] }),
  ]);
  db = createDb(process.env.DATABASE_URL!, 2);
  const [webPort, opsPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  webUrl = `http://127.0.0.1:${webPort}`;
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: process.env.DATABASE_URL!,
    DATABASE_POOL_SIZE: '3',
    ...cluster.env,
    QUEUE_PREFIX: `{proc${id}}`,
    WEBANK_BASE_URL: sim.url,
    WEBANK_APP_ID: appId,
    WEBANK_SECRET: secret,
    WEBANK_TIMEOUT_MS: '3000',
    ...s3.s3Env,
    DATA_ENCRYPTION_KEY: process.env.DATA_ENCRYPTION_KEY!,
    RESULT_REDIRECT_URL: 'https://partner.example.com/result',
    ARCHIVE_POLL_INTERVAL_MS: '300',
    ARCHIVE_BACKOFF_MS: '500',
    OUTBOX_RELAY_INTERVAL_MS: '300',
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
  web = new ServiceProcess(
    {
      name: 'web',
      entry: entry('src/web/server.ts'),
      env: { ...env, PORT: String(webPort), OPS_PORT: String(opsPort) },
      readyUrl: `${webUrl}/healthz`,
    },
    reaper,
    artifacts,
    logs,
  );
  worker = new ServiceProcess(
    {
      name: 'worker',
      entry: entry('src/workers/main.ts'),
      env: { ...env, WORKER_PORT: String(workerPort) },
      readyUrl: `http://127.0.0.1:${workerPort}/healthz`,
    },
    reaper,
    artifacts,
    logs,
  );
  await Promise.all([web.start(90_000), worker.start(90_000)]);
  // Ready once the worker holds a SIGN ticket and reaches Redis (through the cluster), PostgreSQL and S3.
  await waitReady(`http://127.0.0.1:${workerPort}/readyz`, 60_000);
  await waitReady(`http://127.0.0.1:${opsPort}/readyz`, 30_000); // the web's internal ops port
}, 180_000);

afterAll(async () => {
  await Promise.all([web?.close(), worker?.close()].map((p) => p?.catch(() => undefined)));
  await cluster?.stop();
  await s3?.stop();
  await sim?.close();
  await db?.order.deleteMany({ where: { appId } }).catch(() => undefined);
  await db?.$disconnect();
  await reaper?.close();
}, 60_000);

describe('web and worker processes on a Redis Cluster', () => {
  test('when REDIS_CLUSTER_NODES is all the processes are given, then a verified callback is archived end to end', async () => {
    const orderNo = `o${randomBytes(6).toString('hex')}`;
    sim.createScan({ appId, orderNo, outcome: 'pass' });
    const q = new URLSearchParams(sim.callbackQuery(appId, orderNo));
    const res = await fetch(`${webUrl}/webank/callback?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const order = await eventually(async () => {
      const o = await db.order.findUnique({
        where: { appId_orderNo: { appId, orderNo } },
        include: { evidence: true },
      });
      return o?.status === 'ARCHIVED' ? o : undefined;
    }, 30_000);
    expect(order.evidence.map((e) => e.kind).sort()).toEqual(['photo', 'video']);
    // Neither process logged a Redis error on the way.
    expect(
      logs.filter((l) => /CROSSSLOT|MOVED|ClusterAllFailedError|Too many Cluster redirections/.test(l.text)),
    ).toEqual([]);
  });
});
