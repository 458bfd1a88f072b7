/**
 * A fresh worker process that archives ONE order while sampling its own RSS every 10 ms.
 *
 * - `streaming`: the real path — the order's job is enqueued and this process's archive worker
 *   runs it (src/workers/archive-evidence.ts: parseWebankStream → EvidenceStore.put).
 * - `naive`: the same query fetched as text, `JSON.parse`d, each file `Buffer.from(base64)` and
 *   the buffer uploaded (lib-storage Upload, same part settings) — what the streaming path avoids.
 *
 * Both modes start the same worker runtime first, archive a small warm-up order by the same path
 * (so code loading and connection pools are in the baseline), then collect garbage, take the
 * baseline, and reset the kernel's peak-RSS mark (VmHWM) as a cross-check of the sampled peak.
 * Run with --expose-gc.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Upload } from '@aws-sdk/lib-storage';
import type { Job } from 'bullmq';
import { config } from '../../src/shared/platform/config';
import { enqueueArchive, type ArchiveJobData } from '../../src/shared/orders/archive-queue';
import { WEBANK_VERSION } from '../../src/shared/webank/client';
import { newNonce, querySign } from '../../src/shared/webank/signature';
import { startWorkerRuntime } from '../../src/workers/main';
import { onMessage, onStop, run, send } from './ipc';

type Runtime = Awaited<ReturnType<typeof startWorkerRuntime>>;
type Mode = 'streaming' | 'naive';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The kernel's peak RSS of this process since the last reset, in bytes (Linux). */
function vmHwm(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function resetHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function archiveStreaming(rt: Runtime, appId: string, orderNo: string): Promise<number> {
  const done = new Promise<unknown>((resolve, reject) => {
    const completed = (job: Job<ArchiveJobData>, result: unknown) => {
      if (job.data.orderNo !== orderNo) return;
      rt.worker.off('completed', completed);
      rt.worker.off('failed', failed);
      resolve(result);
    };
    const failed = (job: Job<ArchiveJobData> | undefined, err: Error) => {
      if (job?.data.orderNo !== orderNo) return;
      rt.worker.off('completed', completed);
      rt.worker.off('failed', failed);
      reject(err);
    };
    rt.worker.on('completed', completed);
    rt.worker.on('failed', failed);
  });
  await enqueueArchive(rt.queue, { appId, orderNo, product: 'faceid', reason: 'bench' });
  const outcome = await done;
  if (outcome !== 'archived') throw new Error(`order ${orderNo} finished as ${String(outcome)}`);
  const rows = await rt.db.evidence.findMany({ where: { order: { appId, orderNo } }, select: { bytes: true } });
  return rows.reduce((n, r) => n + Number(r.bytes), 0);
}

async function archiveNaive(rt: Runtime, baseUrl: string, appId: string, orderNo: string): Promise<number> {
  const ticket = await rt.keeper.currentTicket(appId);
  const nonce = newNonce();
  const sign = querySign({ appId, orderNo, version: WEBANK_VERSION, ticket, nonce });
  const query = new URLSearchParams({
    app_id: appId,
    version: WEBANK_VERSION,
    nonce,
    order_no: orderNo,
    sign,
    get_file: '1',
  });
  const res = await fetch(`${baseUrl}/api/server/sync?${query}`);
  const text = await res.text();
  const json = JSON.parse(text) as { code: string; result?: Record<string, unknown> };
  if (json.code !== '0' || !json.result) throw new Error(`query answered ${json.code}`);
  let bytes = 0;
  for (const [field, type] of [
    ['photo', 'image/jpeg'],
    ['video', 'video/mp4'],
  ] as const) {
    const b64 = json.result[field];
    if (typeof b64 !== 'string') throw new Error(`no ${field} in the answer`);
    const data = Buffer.from(b64, 'base64');
    const sha256 = createHash('sha256').update(data).digest('hex');
    // One PutObject would be the most naive, but fauxqs refuses bodies over ~16 MB (413), and so
    // do some S3-compatible stores: the buffer goes up with the same multipart settings as put().
    await new Upload({
      client: rt.evidence.client,
      params: {
        Bucket: rt.evidence.bucket,
        Key: `naive/${appId}/${orderNo}/${field}`,
        Body: data,
        ContentType: type,
        Metadata: { sha256 },
      },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
    }).done();
    bytes += data.length;
  }
  return bytes;
}

run(async () => {
  const cfg = config();
  const app = cfg.apps[0]!;
  const rt = await startWorkerRuntime(cfg, { port: false });
  await rt.worker.waitUntilReady();
  const archive = (mode: Mode, orderNo: string) =>
    mode === 'streaming' ? archiveStreaming(rt, app.appId, orderNo) : archiveNaive(rt, app.baseUrl, app.appId, orderNo);

  onMessage('measure', async (m) => {
    const mode = m.mode as Mode;
    await archive(mode, String(m.warmOrderNo));
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(150);
    }
    const base: number[] = [];
    for (let i = 0; i < 50; i++) {
      base.push(process.memoryUsage().rss);
      await sleep(10);
    }
    base.sort((a, b) => a - b);
    const baseline = base[Math.floor(base.length / 2)]!;
    const hwmReset = resetHwm();
    let peak = baseline;
    let samples = 0;
    let maxGapMs = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      samples++;
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const started = performance.now();
    const bytes = await archive(mode, String(m.orderNo));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const hwm = hwmReset ? vmHwm() : undefined;
    return {
      type: 'measured',
      mode,
      baseline,
      peak,
      growth: peak - baseline,
      hwm,
      hwmGrowth: hwm !== undefined ? hwm - baseline : undefined,
      samples,
      maxGapMs,
      seconds,
      bytes,
    };
  });
  onStop(() => rt.close());
  send({ type: 'ready' });
});
