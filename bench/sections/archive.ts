import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createArchiveQueue, enqueueArchive } from '../../src/shared/orders/archive-queue';
import { createRedis } from '../../src/shared/platform/redis';
import { WEBANK_VERSION } from '../../src/shared/webank/client';
import { newNonce, querySign } from '../../src/shared/webank/signature';
import { startTarget } from '../lib/child';
import { childPids, CpuMeter, describeCpu, pidsByComm, type CpuBreakdown } from '../lib/cpu';
import { REDIS_URL, uid } from '../lib/env';
import { createS3Client } from '../../src/shared/evidence/s3-client';
import { pct, type Row, type SectionResult } from '../lib/report';
import { round, sleep } from '../lib/stats';
import type { Services } from '../lib/services';

export interface ArchiveOptions {
  /** Worker concurrencies to measure (ARCHIVE_CONCURRENCY). */
  levels: number[];
  /** Orders per measurement. */
  orders: number;
  /** Warm-up orders before each measurement; default max(2, concurrency). */
  warmup?: number;
  photoBytes: number;
  videoBytes: number;
  /** A measurement stops here and reports what was archived so far. */
  capS: number;
  /** The serve-rate run lasts at least this long (and at least `orders` answers). */
  ceilingMinS: number;
  profileDir?: string;
}

interface Level {
  concurrency: number;
  /** The higher of the serve rates measured before and after the archive run (`measured`: both). */
  ceiling: {
    ordersPerS: number;
    seconds: number;
    requests: number;
    bodyBytes: number;
    cpu: CpuBreakdown;
    cpuMsPerAnswer: CpuBreakdown;
    measured?: number[];
  };
  /** Fetch + store only: the answer drained, the same sizes PUT raw to fauxqs. */
  fetchStore: { ordersPerS: number; cpu: CpuBreakdown; cpuMsPerAnswer: CpuBreakdown };
  archive: {
    ordersPerS: number;
    seconds: number;
    archived: number;
    failed: number;
    capped: boolean;
    cpu: CpuBreakdown;
    cpuMsPerOrder: CpuBreakdown;
  };
}

/** CPU milliseconds per order (or per answer) of each process group: cores × window / count. */
function perItem(cpu: CpuBreakdown, windowS: number, count: number): CpuBreakdown {
  const out: CpuBreakdown = {};
  if (count <= 0) return out;
  let total = 0;
  for (const [name, cores] of Object.entries(cpu)) {
    if (name === 'machine' || name === 'other') continue;
    out[name] = round((cores * windowS * 1000) / count, 1);
    total += out[name];
  }
  out.total = round(total, 1);
  return out;
}

const describeMs = (ms: CpuBreakdown) =>
  Object.entries(ms)
    .filter(([k, v]) => k === 'total' || v >= 0.1)
    .sort((a, b) => (a[0] === 'total' ? 1 : b[0] === 'total' ? -1 : b[1] - a[1]))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

const TERMINAL = ['ARCHIVED', 'NO_RESULT', 'EVIDENCE_MISSING', 'FAILED'];

/** Where fetch + store only puts the same sizes: raw PutObjects, unsigned payload, no checksums. */
interface RawStore {
  client: S3Client;
  bucket: string;
  photo: Buffer;
  video: Buffer;
  pids: () => number[];
}

/**
 * The ceiling: the simulator's own serve rate for the same answer — the same signed sync query
 * (get_file=1, same photo and video sizes) at least `n` times and `minS` seconds with
 * `concurrency` in flight, bodies drained and counted, nothing parsed or stored.
 *
 * With `store`, fetch + store only: after each answer the same sizes are PUT to fauxqs as
 * they are (two PutObjects per order, keys reused per lane so fauxqs holds only a few), with
 * nothing decoded, hashed or recorded — what fetching and storing alone cost on this machine.
 */
async function serveRate(
  svc: Services,
  simPid: number,
  orderNo: string,
  n: number,
  concurrency: number,
  minS: number,
  store?: RawStore,
) {
  const base = await svc.simUrl();
  const ticket = await svc.simTicket();
  const appId = svc.simApp.appId;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const nonce = newNonce();
      const sign = querySign({ appId, orderNo, version: WEBANK_VERSION, ticket, nonce });
      const q = new URLSearchParams({
        app_id: appId,
        version: WEBANK_VERSION,
        nonce,
        order_no: orderNo,
        sign,
        get_file: '1',
      });
      http
        .get(`${base}/api/server/sync?${q}`, { agent }, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () =>
            res.statusCode === 200 ? resolve(bytes) : reject(new Error(`simulator answered ${res.statusCode}`)),
          );
          res.on('error', reject);
        })
        .on('error', reject);
    });
  const put = async (lane: number) => {
    if (!store) return;
    for (const [name, body] of [
      ['photo.jpg', store.photo],
      ['video.mp4', store.video],
    ] as const) {
      await store.client.send(
        new PutObjectCommand({
          Bucket: store.bucket,
          Key: `fetch-store/lane${lane}/${name}`,
          Body: body,
          ContentLength: body.length,
        }),
      );
    }
  };
  // Warm-up (JIT, keep-alive sockets, the simulator's own warm-up): every lane for at least
  // min(1 s, minS), so a cold client does not understate what the simulator can serve.
  const warmUntil = performance.now() + Math.min(1000, minS * 1000);
  await Promise.all(
    Array.from({ length: concurrency }, async (_x, i) => {
      do {
        await one();
        await put(i);
      } while (performance.now() < warmUntil);
    }),
  );
  const meter = new CpuMeter({
    bench: () => [process.pid],
    simulator: () => [simPid],
    ...(store ? { fauxqs: store.pids } : {}),
  });
  meter.start();
  const t0 = performance.now();
  // At least `n` answers and at least `minS` seconds, so a fast simulator is not timed on a blip.
  let started = 0;
  let bodyBytes = 0;
  const lane = async (i: number) => {
    while (started < n || performance.now() - t0 < minS * 1000) {
      started++;
      bodyBytes = await one();
      await put(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_x, i) => lane(i)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter.stop();
  agent.destroy();
  return {
    ordersPerS: round(started / seconds, 2),
    seconds: round(seconds, 2),
    requests: started,
    bodyBytes,
    cpu,
    cpuMsPerAnswer: perItem(cpu, seconds, started),
  };
}

/** A client for the raw PUTs of fetch + store only: as the service's (no flexible checksums on an emulator), payload unsigned. */
async function rawStore(svc: Services, photoBytes: number, videoBytes: number): Promise<RawStore> {
  const s3 = await svc.fauxqs();
  const client = createS3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'fetchStoreUnsignedPayload' },
  );
  return {
    client,
    bucket: s3.bucket,
    photo: randomBytes(photoBytes),
    video: randomBytes(videoBytes),
    pids: () => childPids('fauxqs'),
  };
}

async function waitTerminal(svc: Services, appId: string, orderNos: string[], deadline: number) {
  for (;;) {
    const [row] = await svc.db.$queryRaw<{ archived: bigint; failed: bigint; last: Date | null }[]>`
      SELECT count(*) FILTER (WHERE status = 'ARCHIVED') AS archived,
             count(*) FILTER (WHERE status::text = ANY(${TERMINAL}) AND status <> 'ARCHIVED') AS failed,
             max(archived_at) AS last
      FROM orders WHERE app_id = ${appId} AND order_no = ANY(${orderNos})`;
    const archived = Number(row?.archived ?? 0);
    const failed = Number(row?.failed ?? 0);
    if (archived + failed >= orderNos.length || Date.now() > deadline) {
      return { archived, failed, last: row?.last ?? null, capped: archived + failed < orderNos.length };
    }
    // The rate is timed by max(archived_at), not by this poll: polling slowly keeps the bench off the cores it measures.
    await sleep(250);
  }
}

/**
 * Archive throughput: QUEUED orders inserted and their jobs enqueued directly (as the callback
 * leaves them), archived by one worker replica in its own process (simulator → parseWebankStream
 * → EvidenceStore.put → fauxqs, rows in PostgreSQL), timed from the first enqueue to the last
 * `archived_at`; per concurrency, beside the simulator's serve rate at the same concurrency.
 */
export async function archiveSection(svc: Services, o: ArchiveOptions): Promise<SectionResult> {
  const sim = await svc.simulator();
  const appId = svc.simApp.appId;
  const sizes = { photoBytes: o.photoBytes, videoBytes: o.videoBytes };
  const ceilingOrder = uid('ceil');
  await svc.createScans([{ orderNo: ceilingOrder, ...sizes }]);
  const levels: Level[] = [];

  const raw = await rawStore(svc, o.photoBytes, o.videoBytes);
  for (const k of o.levels) {
    const ceilingBefore = await serveRate(svc, sim.pid, ceilingOrder, o.orders, k, o.ceilingMinS);
    const fetchStore = await serveRate(svc, sim.pid, ceilingOrder, o.orders, k, o.ceilingMinS, raw);

    const run = uid('', 3);
    const warm = Array.from({ length: o.warmup ?? Math.max(2, k) }, (_, i) => `w${run}n${i}`);
    const timed = Array.from({ length: o.orders }, (_, i) => `a${run}n${i}`);
    await svc.createScans([...warm, ...timed].map((orderNo) => ({ orderNo, ...sizes })));
    await svc.insertQueuedOrders(appId, [...warm, ...timed]);
    const prefix = svc.newQueuePrefix();
    const profile = o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(o.profileDir, `worker-c${k}`)] : [];
    // For experiments with the worker's runtime flags (e.g. BENCH_WORKER_NODE_FLAGS='--max-semi-space-size=32').
    profile.push(...(process.env.BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean));
    const worker = await startTarget(`worker c=${k}`, 'worker-target.ts', {
      env: await svc.archiveEnv({ ARCHIVE_CONCURRENCY: String(k), QUEUE_PREFIX: prefix }),
      nodeFlags: profile,
    });
    const redis = createRedis(REDIS_URL, 'producer', 'bench');
    const queue = createArchiveQueue(redis, prefix);
    let level: Level['archive'];
    try {
      await queue.waitUntilReady();
      const enqueue = (orderNo: string) =>
        enqueueArchive(queue, { appId, orderNo, product: 'faceid', reason: 'bench' }, { timeoutMs: 10_000 });
      await Promise.all(warm.map(enqueue));
      const w = await waitTerminal(svc, appId, warm, Date.now() + 60_000);
      if (w.archived < warm.length)
        throw new Error(
          `warm-up: ${w.archived} of ${warm.length} orders archived — worker output:\n${worker.output().slice(-3000)}`,
        );

      const meter = new CpuMeter({
        bench: () => [process.pid],
        worker: () => [worker.pid],
        simulator: () => [sim.pid],
        fauxqs: () => childPids('fauxqs'),
        postgres: () => pidsByComm('postgres'),
        redis: () => pidsByComm('redis-server'),
      });
      meter.start();
      const m0 = performance.now();
      const t0 = Date.now();
      await Promise.all(timed.map(enqueue));
      const r = await waitTerminal(svc, appId, timed, t0 + o.capS * 1000);
      const cpu = meter.stop();
      const windowS = (performance.now() - m0) / 1000;
      const end = r.capped || !r.last ? Date.now() : r.last.getTime();
      const seconds = (end - t0) / 1000;
      level = {
        ordersPerS: round(r.archived / seconds, 2),
        seconds: round(seconds, 2),
        archived: r.archived,
        failed: r.failed,
        capped: r.capped,
        cpu,
        cpuMsPerOrder: perItem(cpu, windowS, r.archived + r.failed),
      };
    } finally {
      await queue.close().catch(() => undefined);
      redis.disconnect();
      await worker.stop();
    }
    // The serve rate again after the archive run: the higher of the two is the ceiling, so a blip
    // (another process, a GC in the bench) during one measurement does not flatter the ratio.
    const ceilingAfter = await serveRate(svc, sim.pid, ceilingOrder, o.orders, k, o.ceilingMinS);
    const ceiling = {
      ...(ceilingAfter.ordersPerS > ceilingBefore.ordersPerS ? ceilingAfter : ceilingBefore),
      measured: [ceilingBefore.ordersPerS, ceilingAfter.ordersPerS],
    };
    levels.push({
      concurrency: k,
      ceiling,
      fetchStore: { ordersPerS: fetchStore.ordersPerS, cpu: fetchStore.cpu, cpuMsPerAnswer: fetchStore.cpuMsPerAnswer },
      archive: level,
    });
    await svc.emptyBucket();
  }
  raw.client.destroy();

  const best = levels.reduce((a, b) => (b.archive.ordersPerS > a.archive.ordersPerS ? b : a));
  const ratio = best.archive.ordersPerS / best.ceiling.ordersPerS;
  const bestCeiling = Math.max(...levels.map((l) => l.ceiling.ordersPerS));
  const mbPerOrder = (o.photoBytes + o.videoBytes) / 1e6;
  const rows: Row[] = levels.map((l) => ({
    metric: `archive, concurrency ${l.concurrency}`,
    value: `${l.archive.ordersPerS} orders/s (${round(l.archive.ordersPerS * mbPerOrder, 1)} MB/s)${l.archive.capped ? ' CAPPED' : ''}${l.archive.failed ? ` ${l.archive.failed} failed` : ''}`,
    baseline: `${l.ceiling.ordersPerS} orders/s (simulator serve rate)`,
    ratio: pct(l.archive.ordersPerS / l.ceiling.ordersPerS),
    ...(l === best ? { target: '≥ 80 % (best)', met: ratio >= 0.8 } : {}),
  }));
  const sizeLabel = `${round(o.photoBytes / 1e3, 0)} KB photo + ${round(o.videoBytes / 1e6, 1)} MB video`;
  return {
    title: `2. Archive throughput: ${sizeLabel}, ${o.orders} orders per run, worker concurrency ${o.levels.join(' / ')}, rate limiter off`,
    rows,
    targets: [
      {
        name: `archive throughput vs simulator serve rate (best concurrency ${best.concurrency})`,
        measured: round(ratio * 100, 1),
        unit: '%',
        target: '≥ 80 %',
        met: ratio >= 0.8,
      },
    ],
    notes: [
      ...levels.map(
        (l) =>
          `serve rate, concurrency ${l.concurrency}: ${l.ceiling.measured?.join(' / ')} orders/s before / after the archive run (the higher counts)`,
      ),
      ...levels.map(
        (l) =>
          `CPU (cores), concurrency ${l.concurrency} — archive: ${describeCpu(l.archive.cpu)}; serve-rate run: ${describeCpu(l.ceiling.cpu)}`,
      ),
      ...levels.map(
        (l) =>
          `CPU ms per order, concurrency ${l.concurrency} — archive: ${describeMs(l.archive.cpuMsPerOrder)}; serve-rate run, per answer: ${describeMs(l.ceiling.cpuMsPerAnswer)}`,
      ),
      ...levels.map(
        (l) =>
          `fetch + store only, concurrency ${l.concurrency} (answer drained, the same sizes PUT raw to fauxqs; nothing decoded, hashed or recorded): ${l.fetchStore.ordersPerS} orders/s, archive at ${pct(l.archive.ordersPerS / l.fetchStore.ordersPerS)} of it; CPU ms per order: ${describeMs(l.fetchStore.cpuMsPerAnswer)}`,
      ),
      `best archive rate ${best.archive.ordersPerS} orders/s at concurrency ${best.concurrency} = ${pct(best.archive.ordersPerS / bestCeiling)} of the best serve rate (${bestCeiling} orders/s)`,
      `one answer is ${round(levels[0]!.ceiling.bodyBytes / 1e6, 2)} MB of JSON (base64 media) for ${round(mbPerOrder, 2)} MB of files`,
      ...(o.profileDir ? [`CPU profiles of the workers: ${path.join(o.profileDir, 'worker-c<N>')}/`] : []),
    ],
    data: {
      levels,
      best: best.concurrency,
      ratio,
      photoBytes: o.photoBytes,
      videoBytes: o.videoBytes,
      orders: o.orders,
    },
  };
}
