import path from 'node:path';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ARCHIVE_QUEUE } from '../../src/shared/orders/archive-queue';
import { dataKey } from '../../src/shared/platform/sealed';
import { TicketStore } from '../../src/shared/webank/tickets/ticket-store';
import { callbackSign } from '../../src/shared/webank/signature';
import { startTarget } from '../lib/child';
import { CpuMeter, describeCpu, pidsByComm } from '../lib/cpu';
import { DATA_ENCRYPTION_KEY, REDIS_URL, serviceEnv, uid } from '../lib/env';
import { pct, type SectionResult } from '../lib/report';
import { pacedLoad, type PacedResult } from '../lib/paced';
import { round } from '../lib/stats';
import type { Services } from '../lib/services';

export interface CallbackOptions {
  /** Seconds per measurement (autocannon `duration`). */
  durationS: number;
  /** Seconds of unmeasured load before each measurement (JIT, connection pools). */
  warmupS: number;
  connections: number;
  /** Signed callbacks generated up front (more are signed on the fly if a run needs them). */
  pregenerate: number;
  /** Callbacks run step by step by one client for the per-step breakdown. */
  stepIterations: number;
  profileDir?: string;
}

const CALLBACK_PATH = '/webank/callback';

interface Load {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  completed: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  cpu: Record<string, number>;
  durationS: number;
}

/**
 * The H5 redirects a WeBank app would send: distinct orders, each correctly signed with the
 * seeded ticket, generated before the clock starts so the load generator only reads a list.
 */
class SignedCallbacks {
  private readonly paths: string[] = [];
  private next = 0;
  signedOnTheFly = 0;

  constructor(
    private readonly appId: string,
    private readonly ticket: string,
    private readonly run = uid('', 3),
    count = 0,
  ) {
    for (let i = 0; i < count; i++) this.paths.push(this.make(i));
  }

  private make(i: number): string {
    const orderNo = `b${this.run}n${i}`;
    const sign = callbackSign({ appId: this.appId, orderNo, ticket: this.ticket, code: '0' });
    return `${CALLBACK_PATH}?code=0&orderNo=${orderNo}&h5faceId=wb${this.run}${i}&newSignature=${sign}&newSign=${sign}`;
  }

  take = (): string => {
    const i = this.next++;
    if (i < this.paths.length) return this.paths[i]!;
    this.signedOnTheFly++;
    return this.make(i);
  };

  get issued(): number {
    return this.next;
  }
}

async function load(
  url: string,
  o: { durationS: number; connections: number; overallRate?: number; nextPath?: () => string; meter?: CpuMeter },
): Promise<Load> {
  const opts: autocannon.Options = {
    url,
    connections: o.connections,
    duration: o.durationS,
    pipelining: 1,
    timeout: 10,
    // With a rate, autocannon back-fills "expected" samples at ceil(1 / per-connection rate) = 1 ms
    // intervals, which turns every slow response into dozens of synthetic ones: off.
    ...(o.overallRate ? { overallRate: o.overallRate, ignoreCoordinatedOmission: true } : {}),
    ...(o.nextPath ? { requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: o.nextPath!() }) }] } : {}),
  };
  o.meter?.start();
  const r = await autocannon(opts);
  const cpu = o.meter?.stop() ?? {};
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count ?? 0]));
  return {
    rps: round(r.requests.total / r.duration, 0),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    completed: r.requests.total,
    statusCodes,
    errors: r.errors,
    timeouts: r.timeouts,
    cpu,
    durationS: round(r.duration, 2),
  };
}

/**
 * Callback throughput and latency: the service's full callback path (verify the signature
 * against the tickets, record order + outbox mark + event atomically, BullMQ enqueue, clear the
 * mark; concurrent callbacks share those round trips, see src/web/result-recorder.ts) in its own process, against a bare Express 5 "hello" in the same kind of
 * process, both driven by autocannon from this process with the same settings; then the service
 * at half its maximum rate, paced evenly; then the steps of one callback timed one by one.
 */
export async function callbackSection(svc: Services, o: CallbackOptions): Promise<SectionResult> {
  const appId = uid('TIDAC');
  svc.appIds.add(appId);
  const secret = uid('s', 12);
  const ticket = `bench${uid('', 24)}`;
  const queuePrefix = svc.newQueuePrefix();
  await new TicketStore(svc.db, dataKey(DATA_ENCRYPTION_KEY)).save(appId, ticket, 6 * 3600);
  const common = {
    bench: () => [process.pid],
    postgres: () => pidsByComm('postgres'),
    redis: () => pidsByComm('redis-server'),
  };

  // 1. The baseline, bare Express 5, and the service, each at full speed (closed loop).
  const hello = await startTarget('hello', 'hello-target.ts', { env: serviceEnv({}) });
  const flags = o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(o.profileDir, 'web-callback')] : [];
  const callbacks = new SignedCallbacks(appId, ticket, uid('', 3), o.pregenerate);
  let base: Load;
  let full: Load;
  let paced: PacedResult & { cpu: Record<string, number> };
  let pacedHello: PacedResult;
  let bursty: Load;
  let halfRate: number;
  try {
    const helloUrl = `${String(hello.info.url)}/hello`;
    await load(helloUrl, { durationS: o.warmupS, connections: o.connections });
    base = await load(helloUrl, {
      durationS: o.durationS,
      connections: o.connections,
      meter: new CpuMeter({ ...common, target: () => [hello.pid] }),
    });

    const web = await startTarget('web', 'web-target.ts', {
      env: serviceEnv({ WEBANK_APP_ID: appId, WEBANK_SECRET: secret, QUEUE_PREFIX: queuePrefix, CALLBACK_PATH }),
      nodeFlags: flags,
    });
    try {
      const url = String(web.info.url);
      const meter = () => new CpuMeter({ ...common, target: () => [web.pid] });
      await load(url, { durationS: o.warmupS, connections: o.connections, nextPath: callbacks.take });
      full = await load(url, {
        durationS: o.durationS,
        connections: o.connections,
        nextPath: callbacks.take,
        meter: meter(),
      });

      // 2. Half the maximum rate, paced evenly (open loop, latency from when each request was due).
      halfRate = Math.max(1, Math.floor(full.rps / 2));
      const m = meter();
      m.start();
      const p = await pacedLoad(url, { rate: halfRate, durationS: o.durationS, nextPath: callbacks.take });
      paced = { ...p, cpu: m.stop() };
      // The same pacing against bare Express: the floor the load generator and loopback add.
      pacedHello = await pacedLoad(String(hello.info.url), {
        rate: halfRate,
        durationS: Math.min(5, o.durationS),
        nextPath: () => '/hello',
      });
      // autocannon's overallRate at the same rate, for reference: each connection sends its
      // per-second quota back to back, so this is bursts at full concurrency, not a steady load.
      bursty = await load(url, {
        durationS: o.durationS,
        connections: o.connections,
        overallRate: halfRate,
        nextPath: callbacks.take,
        meter: meter(),
      });
    } finally {
      await web.stop();
    }
  } finally {
    await hello.stop();
  }

  // 3. Did every request take the full path? Orders recorded, outbox marks cleared, jobs in Redis.
  const [counts] = await svc.db.$queryRaw<{ orders: bigint; pending: bigint }[]>`
    SELECT count(*) AS orders, count(*) FILTER (WHERE enqueue_pending) AS pending FROM orders WHERE app_id = ${appId}`;
  const [events] = await svc.db.$queryRaw<{ accepted: bigint; other: bigint }[]>`
    SELECT count(*) FILTER (WHERE verdict = 'accepted') AS accepted, count(*) FILTER (WHERE verdict <> 'accepted') AS other
    FROM callback_events WHERE app_id = ${appId}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(ARCHIVE_QUEUE, { connection: redis, prefix: queuePrefix });
  const jobs = await queue.count();
  await queue.close();
  redis.disconnect();

  // 4. Where one callback's time goes: the same steps, one client, timed one by one.
  const stagesTarget = await startTarget('callback steps', 'stages-target.ts', {
    env: serviceEnv({ WEBANK_APP_ID: appId, WEBANK_SECRET: secret, QUEUE_PREFIX: queuePrefix, CALLBACK_PATH }),
  });
  let steps: { stage: string; cpuMs: number; p50: number; p99: number }[];
  try {
    stagesTarget.send({ type: 'measure', iterations: o.stepIterations, ticket, run: uid('', 3) });
    steps = ((await stagesTarget.next('measured', 300_000)) as unknown as { stages: typeof steps }).stages;
  } finally {
    await stagesTarget.stop();
  }

  const ok = (l: { statusCodes: Record<string, number> }) => l.statusCodes['302'] ?? 0;
  const notOk = (l: { statusCodes: Record<string, number>; completed: number }) => l.completed - ok(l);
  const orders = Number(counts?.orders ?? 0);

  const ratio = full.rps / base.rps;
  const cpuPerRequest = (l: Load) => round(((l.cpu.target ?? 0) / Math.max(1, l.rps)) * 1000, 2);
  const targets = [
    {
      name: 'callback throughput vs bare Express',
      measured: round(ratio * 100, 1),
      unit: '%',
      target: '≥ 40 %',
      met: ratio >= 0.4,
    },
    {
      name: `callback p99 at half the maximum rate (${halfRate} req/s, paced)`,
      measured: paced.p99,
      unit: 'ms',
      target: '< 25 ms',
      met: paced.p99 < 25,
    },
  ];
  return {
    title: `1. Callback: signed H5 redirects through verify → insert + outbox → enqueue (autocannon, ${o.connections} connections, ${o.durationS} s each)`,
    rows: [
      {
        metric: 'callback max throughput',
        value: `${full.rps} req/s`,
        baseline: `${base.rps} req/s (bare Express 5)`,
        ratio: pct(ratio),
        target: '≥ 40 %',
        met: targets[0]!.met,
      },
      {
        metric: 'callback latency at max (p50 / p99)',
        value: `${full.p50} / ${full.p99} ms`,
        baseline: `${base.p50} / ${base.p99} ms`,
      },
      {
        metric: `callback p99 at half rate, paced (${halfRate} req/s)`,
        value: `${paced.p99} ms (p50 ${paced.p50})`,
        baseline: `${pacedHello.p99} ms (p50 ${pacedHello.p50}) bare Express`,
        target: '< 25 ms',
        met: targets[1]!.met,
      },
      {
        metric: `same rate, autocannon overallRate (bursts)`,
        value: `${bursty.p99} ms (p50 ${bursty.p50})`,
        baseline: `achieved ${bursty.rps} req/s`,
      },
      {
        metric: 'CPU per request in the web process, at max',
        value: `${cpuPerRequest(full)} ms`,
        baseline: `${cpuPerRequest(base)} ms (bare Express 5)`,
        ratio: `${round(cpuPerRequest(full) / Math.max(0.001, cpuPerRequest(base)), 1)} ×`,
      },
      ...steps.map((st) => ({
        metric: `  step ${st.stage} (one client, per order)`,
        value: `${st.cpuMs} ms CPU`,
        baseline: `wall p50 ${st.p50} / p99 ${st.p99} ms`,
      })),
      ...[1, 16].map((b) => {
        const path = steps.filter((st) => !/×\d+$/.test(st.stage) || st.stage.endsWith(`×${b}`));
        return {
          metric: `  steps together, batch of ${b} (per order)`,
          value: `${round(
            path.reduce((a, st) => a + st.cpuMs, 0),
            2,
          )} ms CPU`,
          baseline: `wall p50 ${round(
            path.reduce((a, st) => a + st.p50, 0),
            2,
          )} ms (sum of step p50s)`,
        };
      }),
    ],
    targets,
    notes: [
      `CPU (cores) at max — callback: ${describeCpu(full.cpu)}`,
      `CPU (cores) at max — bare Express: ${describeCpu(base.cpu)}`,
      `CPU (cores) at half rate, paced — callback: ${describeCpu(paced.cpu)}; achieved ${paced.achievedRate} req/s`,
      `paced generator's own lateness in sending (counted in the latencies): p99 ${paced.sendLagP99} / max ${paced.sendLagMax} ms against the callback, p99 ${pacedHello.sendLagP99} / max ${pacedHello.sendLagMax} ms against bare Express`,
      `full path check: ${ok(full) + ok(paced) + ok(bursty)} redirects (302) measured, ${notOk(full) + notOk(paced) + notOk(bursty)} other answers, ${full.errors + paced.errors + bursty.errors} errors; ` +
        `${orders} orders recorded for ${callbacks.issued} requests issued (warm-up included), ${Number(counts?.pending ?? 0)} outbox marks left, ` +
        `${jobs} archive jobs in Redis, ${Number(events?.accepted ?? 0)} accepted events, ${Number(events?.other ?? 0)} others`,
      ...(callbacks.signedOnTheFly
        ? [`${callbacks.signedOnTheFly} callbacks were signed during the runs (pre-generated list exhausted)`]
        : []),
      ...(o.profileDir ? [`CPU profile of the web target: ${path.join(o.profileDir, 'web-callback')}/`] : []),
    ],
    data: {
      steps,
      cpuPerRequestMs: { callback: cpuPerRequest(full), bareExpress: cpuPerRequest(base) },
      baseline: base,
      max: full,
      halfRate,
      paced,
      pacedBareExpress: pacedHello,
      autocannonOverallRate: bursty,
      ratio,
      orders,
      outboxLeft: Number(counts?.pending ?? 0),
      jobs,
      issued: callbacks.issued,
    },
  };
}
