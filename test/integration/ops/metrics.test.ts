import { startWorkerRuntime } from '../../../src/workers/main';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../../support/pipeline';
import { freePort } from '../../support/throwaway-redis';
import { uid } from '../../support/web-harness';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples (enough of it for prom-client's output). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample with this name and (at least) these labels; 0 when absent. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  return { text, samples: parse(text) };
}

describe('metrics', () => {
  let p: Pipeline;
  let workerUrl: string;
  beforeAll(async () => {
    p = await startPipeline({
      workers: false,
      env: { RECONCILER_INTERVAL_MS: '300', RECONCILER_STUCK_MINUTES: String(1 / 60), ARCHIVE_POLL_INTERVAL_MS: '200' },
    });
    const port = await freePort();
    p.workers = await startWorkerRuntime(p.cfg, { port });
    workerUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => p.close());

  const status = async (orderNo: string) =>
    (await p.web.db.order.findUniqueOrThrow({ where: { appId_orderNo: { appId: p.appId, orderNo } } })).status;

  test('when callbacks arrive and jobs run, then the web and worker /metrics move, with bounded labels and no order numbers', async () => {
    const web0 = (await scrape(p.web.opsUrl)).samples;
    const worker0 = (await scrape(workerUrl)).samples;

    // A passed scan, a scan WeBank has no result for, and a forged callback.
    const passed = uid('mp');
    const scan = p.sim.createScan({ appId: p.appId, orderNo: passed, outcome: 'pass', videoBytes: 200_000 });
    expect((await redirectBack(p, passed)).status).toBe(302);
    const risky = uid('mr');
    p.sim.createScan({ appId: p.appId, orderNo: risky, outcome: 'risk' });
    const q = new URLSearchParams({
      code: '66660016',
      orderNo: risky,
      h5faceId: uid('h'),
      newSign: p.sim.signCallback(p.appId, risky, '66660016'),
    });
    expect((await fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${q}`, { redirect: 'manual' })).status).toBe(302);
    const forged = new URLSearchParams({ code: '0', orderNo: uid('mf'), h5faceId: uid('h'), newSign: 'F'.repeat(40) });
    expect((await fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${forged}`, { redirect: 'manual' })).status).toBe(403);
    await eventually(async () => (await status(passed)) === 'ARCHIVED' && (await status(risky)) === 'NO_RESULT');

    const web1 = await scrape(p.web.opsUrl);
    expect(
      value(web1.samples, 'faceid_callbacks_total', { verdict: 'accepted' }) -
        value(web0, 'faceid_callbacks_total', { verdict: 'accepted' }),
    ).toBe(2);
    expect(
      value(web1.samples, 'faceid_callbacks_total', { verdict: 'rejected' }) -
        value(web0, 'faceid_callbacks_total', { verdict: 'rejected' }),
    ).toBe(1);
    expect(
      value(web1.samples, 'faceid_callback_duration_seconds_count') -
        value(web0, 'faceid_callback_duration_seconds_count'),
    ).toBe(3);
    expect(web1.samples.some((s) => s.name === 'faceid_outbox_backlog')).toBe(true);

    // The reconciler samples the queue and the orders every 300 ms.
    const worker1 = await eventually(async () => {
      const w = await scrape(workerUrl);
      return value(w.samples, 'faceid_archive_queue_jobs', { state: 'completed' }) >= 2 ? w : undefined;
    });
    const w = worker1.samples;
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(w, name, labels) - value(worker0, name, labels);
    expect(delta('faceid_archive_jobs_total', { product: 'faceid', outcome: 'archived' })).toBe(1);
    expect(delta('faceid_archive_jobs_total', { product: 'faceid', outcome: 'no_result' })).toBe(1);
    const served = p.sim.servedMediaDigest(p.appId, passed);
    expect(delta('faceid_archived_bytes_total', { kind: 'video' })).toBe(served.video!.size);
    expect(delta('faceid_archived_bytes_total', { kind: 'photo' })).toBe(served.photo!.size);
    expect(
      delta('faceid_webank_request_duration_seconds_count', { endpoint: '/api/server/sync' }),
    ).toBeGreaterThanOrEqual(2);
    expect(delta('faceid_webank_errors_total', { endpoint: '/api/server/sync', code: '66660011' })).toBe(1);
    // The ticket keeper's calls at start-up, and the ticket it holds.
    expect(
      value(w, 'faceid_webank_request_duration_seconds_count', { endpoint: '/api/oauth2/api_ticket' }),
    ).toBeGreaterThanOrEqual(1);
    expect(value(w, 'faceid_ticket_valid', { app: p.appId })).toBe(1);
    expect(w.some((s) => s.name === 'faceid_ticket_age_seconds' && s.labels.app === p.appId)).toBe(true);
    expect(value(w, 'faceid_orders', { status: 'ARCHIVED' })).toBeGreaterThanOrEqual(1);
    expect(value(w, 'faceid_orders', { status: 'NO_RESULT' })).toBeGreaterThanOrEqual(1);
    expect(w.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
    expect(scan.bizSeqNo).toBeTruthy();

    // Labels are bounded enums: no order number, ID number, name or ticket anywhere.
    for (const text of [web1.text, worker1.text]) {
      for (const secret of [passed, risky, scan.bizSeqNo, '张三', p.sim.currentTicket(p.appId)])
        expect(text).not.toContain(secret);
    }
  });

  test("when an order's job was lost, then the reconciler re-enqueues it, it archives, and the action is counted", async () => {
    const orderNo = uid('ml');
    p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass' });
    // Recorded and marked enqueued long ago, but the job is nowhere (Redis lost it).
    await p.web.db.order.create({
      data: {
        appId: p.appId,
        orderNo,
        status: 'QUEUED',
        source: 'CALLBACK',
        callbackCode: '0',
        verifiedAt: new Date(),
        enqueuePending: false,
        enqueuedAt: new Date(Date.now() - 60_000),
        updatedAt: new Date(Date.now() - 60_000),
      },
    });
    await eventually(async () => (await status(orderNo)) === 'ARCHIVED');
    const timeline = await p.web.db.orderEvent.findMany({
      where: { order: { appId: p.appId, orderNo } },
      orderBy: { id: 'asc' },
    });
    expect(timeline[0]).toMatchObject({ type: 'reconciled', detail: expect.objectContaining({ action: 'requeued' }) });
    const { samples } = await scrape(workerUrl);
    expect(value(samples, 'faceid_reconciler_actions_total', { action: 'requeued' })).toBeGreaterThanOrEqual(1);
  });
});
