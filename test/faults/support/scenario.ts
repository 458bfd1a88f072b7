import { setTimeout as sleep } from 'node:timers/promises';
import type { Faults } from '../../../src/simulator';
import type { ProxyConnection, Verdict } from './fault-proxy';
import type { FaultEvent, Forgery, Plan, ValidOrder, WorkerKill } from './plan';
import type { ServiceName, World } from './world';

/** One line of the run's timeline, relative to the start of the callback window. */
export interface TimelineEntry {
  tMs: number;
  what: string;
}

export interface Attempt {
  tMs: number;
  status: number;
  error?: string;
}

/** A callback as a browser (or an attacker) sent it, with every attempt. */
export interface Delivery {
  kind: 'valid' | 'reload' | Forgery['kind'];
  /** `v12`, `r12` (reload of v12), `f3`. */
  id: string;
  orderNo: string;
  code: string;
  signature: string;
  userAgents: string[];
  attempts: Attempt[];
  final: number;
}

export interface KillRecord extends WorkerKill {
  fired: boolean;
  replica?: ServiceName;
  tMs?: number;
  /** What the trigger saw: the request and how far it had got. */
  at?: string;
}

export interface ScenarioResult {
  deliveries: Delivery[];
  /** The redirect query each valid order was sent with (its signature is replayed by forgeries). */
  validQueries: Map<number, Record<string, string>>;
  timeline: TimelineEntry[];
  kills: KillRecord[];
  /** Every SIGN ticket the simulator handed out during the run (for the log scan). */
  tickets: Set<string>;
  pgTerminated: number;
  windowStartedAt: number;
}

/** Milliseconds since the window opened, and when a browser may stop reloading. */
interface Clock {
  now: () => number;
  decideBy: () => number;
}

/** Every browser tries at least this often… */
const MIN_ATTEMPTS = 8;
/**
 * …and, as the self-reloading "try again" page does, goes on until this long after the last
 * fault ended: under a loaded CI machine the faults can outlast eight tries, and a callback still
 * undecided this long after everything is up again is a real failure, not an unlucky schedule.
 */
const DECIDE_AFTER_FAULTS_MS = 20_000;
const MiB = 1024 * 1024;

/**
 * Plays the plan against the running world: browsers come back at their planned moments while
 * the fault timeline breaks Redis, S3, WeBank, PostgreSQL and the workers. Resolves once every
 * callback got its final answer and every fault has ended (everything is up again).
 */
export async function runScenario(world: World, plan: Plan): Promise<ScenarioResult> {
  const t0 = Date.now();
  const now = () => Date.now() - t0;
  const timeline: TimelineEntry[] = [];
  const note = (what: string) => timeline.push({ tMs: now(), what });
  const tickets = new Set<string>([world.sim.currentTicket(world.appId)]);
  const result: ScenarioResult = {
    deliveries: [],
    validQueries: new Map(),
    timeline,
    kills: plan.kills.map((k) => ({ ...k, fired: false })),
    tickets,
    pgTerminated: 0,
    windowStartedAt: t0,
  };
  const restarts: Promise<void>[] = [];
  armKills(world, result, note, restarts, now);

  const tasks: Promise<unknown>[] = [];
  for (const e of plan.faults) tasks.push(at(t0, e.atMs).then(() => applyFault(world, e, note, result)));
  // Fault times are planned from t0; a late fault (the machine was slow) moves the end with it.
  const decideBy = () => Math.max(plan.faultsEndMs, ...timeline.map((e) => e.tMs)) + DECIDE_AFTER_FAULTS_MS;
  const clock = { now, decideBy };
  for (const o of plan.orders) tasks.push(at(t0, o.sendAtMs).then(() => sendValid(world, o, result, clock)));
  for (const f of plan.forgeries) tasks.push(at(t0, f.sendAtMs).then(() => sendForged(world, plan, f, result, clock)));
  const settled = await Promise.allSettled(tasks);
  await Promise.all(restarts);
  for (const s of settled) if (s.status === 'rejected') note(`scenario task failed: ${(s.reason as Error).message}`);
  note('callbacks answered and faults over');
  await healAll(world, note);
  return result;
}

const at = (t0: number, ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));

async function applyFault(
  world: World,
  e: FaultEvent,
  note: (w: string) => void,
  result: ScenarioResult,
): Promise<void> {
  switch (e.kind) {
    case 'redis-outage':
      note(`redis-server SIGKILL (down ${e.durationMs} ms)`);
      await world.redis.crash();
      await sleep(e.durationMs);
      await world.redis.up();
      note('redis-server restarted (AOF reloaded)');
      return;
    case 's3-outage':
      note(`S3 unavailable: connections reset, new ones refused (${e.durationMs} ms)`);
      for (const p of world.s3Proxies) p.down();
      await sleep(e.durationMs);
      for (const p of world.s3Proxies) p.up();
      note('S3 available again');
      return;
    case 's3-slow':
      note(`S3 slow: +${e.latencyMs} ms per chunk, ${Math.round(e.bytesPerSec / 1024)} KiB/s (${e.durationMs} ms)`);
      for (const p of world.s3Proxies) p.slow(e.latencyMs, e.bytesPerSec);
      await sleep(e.durationMs);
      for (const p of world.s3Proxies) p.fast();
      note('S3 fast again');
      return;
    case 'webank-faults':
      note(`WeBank faults ${describeFaults(e.faults)} (${e.durationMs} ms)`);
      world.sim.setFaults(e.faults);
      await sleep(e.durationMs);
      world.sim.clearFaults();
      note('WeBank faults cleared');
      return;
    case 'rotate-tickets':
      result.tickets.add(world.sim.currentTicket(world.appId));
      world.sim.rotateTickets(world.appId);
      result.tickets.add(world.sim.currentTicket(world.appId));
      note(`WeBank SIGN ticket rotated (old one valid ${world.profile.ticketGraceMs} ms more at WeBank)`);
      return;
    case 'pg-terminate': {
      const n = await terminateBackends(world, e.target);
      result.pgTerminated += n.count;
      note(`PostgreSQL: terminated ${n.count} backend(s) of ${e.target} (${n.states || 'none open'})`);
      return;
    }
  }
}

function describeFaults(f: Partial<Faults>): string {
  const parts = Object.entries(f)
    .filter(([k]) => k !== 'paths')
    .map(([k, v]) => `${k.replace(/Rate$/, '')}=${String(v)}`);
  return `${parts.join(' ')}${f.paths ? ` on ${f.paths.join(',')}` : ' on all /api'}`;
}

/**
 * Terminates the PostgreSQL backends of one service (or all three), found by the
 * application_name this run gave them, and never any other connection. Waits up to 1.5 s for a
 * moment when one of them is mid-statement or mid-transaction, so the cut lands on a write.
 */
async function terminateBackends(world: World, target: 'web' | 'worker-1' | 'worker-2' | 'all') {
  const names =
    target === 'all'
      ? (['web', 'worker-1', 'worker-2'] as const).map((s) => world.appName(s))
      : [world.appName(target)];
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    const busy = await world.pg.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = ANY($1) AND pid <> pg_backend_pid()
          AND state IN ('active', 'idle in transaction')`,
      [names],
    );
    if ((busy.rows[0] as { n: number }).n > 0) break;
    await sleep(20);
  }
  const res = await world.pg.query(
    `SELECT state, pg_terminate_backend(pid) AS killed FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = ANY($1) AND pid <> pg_backend_pid()`,
    [names],
  );
  const rows = res.rows as { state: string | null; killed: boolean }[];
  const states = new Map<string, number>();
  for (const r of rows) states.set(r.state ?? 'unknown', (states.get(r.state ?? 'unknown') ?? 0) + 1);
  return { count: rows.filter((r) => r.killed).length, states: [...states].map(([s, n]) => `${n} ${s}`).join(', ') };
}

/**
 * Arms the worker kills on the proxies: the first matching transfer of the victim order, at the
 * planned point, SIGKILLs the replica carrying it (each replica has its own proxies) and cuts
 * that connection; the replica is started again after the planned delay.
 */
function armKills(
  world: World,
  result: ScenarioResult,
  note: (w: string) => void,
  restarts: Promise<void>[],
  now: () => number,
): void {
  const pending = new Map(result.kills.map((k) => [k.orderNo, k]));
  const fire = (k: KillRecord, replicaIndex: number, conn: ProxyConnection, forward: number): Verdict => {
    const svc = world.workers[replicaIndex]!;
    if (!svc.alive) return undefined;
    pending.delete(k.orderNo);
    svc.kill();
    k.fired = true;
    k.replica = svc.name as ServiceName;
    k.tMs = now();
    const r = conn.request!;
    k.at = `${r.method} ${r.target.split('?')[0]} after ${r.bytesUp} B up / ${r.bytesDown} B down`;
    note(`${svc.name} SIGKILL mid-${k.point} of ${k.orderNo} (${k.at}); restart in ${k.restartAfterMs} ms`);
    restarts.push(
      sleep(k.restartAfterMs)
        .then(() => svc.start())
        .then(
          () => note(`${svc.name} restarted`),
          (err: Error) => note(`${svc.name} restart failed: ${err.message}`),
        ),
    );
    return { cut: true, forward };
  };
  const expected = (orderNo: string) => {
    const o = findOrder(world, orderNo);
    return o?.videoBytes ?? 18_716;
  };
  world.simProxies.forEach((proxy, i) => {
    proxy.interceptor = ({ conn, direction, chunk }) => {
      const r = conn.request;
      if (direction !== 'down' || !r || !r.target.startsWith('/api/server/sync')) return undefined;
      const q = new URLSearchParams(r.target.split('?')[1] ?? '');
      const k = pending.get(q.get('order_no') ?? '');
      if (!k || k.point !== 'download' || !['1', '3'].includes(q.get('get_file') ?? '')) return undefined;
      // The answer carries the video in base64 (4/3 of its size): stop at the planned fraction of it.
      const threshold = Math.round(k.fraction * expected(k.orderNo) * (4 / 3));
      if (r.bytesDown < threshold) return undefined;
      return fire(k, i, conn, Math.max(0, chunk.length - (r.bytesDown - threshold)));
    };
  });
  world.s3Proxies.forEach((proxy, i) => {
    proxy.interceptor = ({ conn, direction, chunk }) => {
      const r = conn.request;
      if (direction !== 'up' || !r || r.method !== 'PUT') return undefined;
      const m = /\/evidence\/[^/]+\/\d{4}\/\d{2}\/\d{2}\/([A-Za-z0-9]+)\/([a-z_]+)\.[a-z0-9]+/.exec(r.target);
      const k = m && pending.get(m[1] as string);
      if (!k) return undefined;
      const isCopy = /x-amz-copy-source/i.test(r.head);
      if (k.point === 'copy' && isCopy) {
        // Before the copy reaches S3 (object without its hash), or once it has been sent (object complete, no row yet).
        return fire(k, i, conn, k.fraction < 0.5 ? 0 : chunk.length);
      }
      if (k.point === 'upload' && !isCopy && m[2] === 'video') {
        const threshold = Math.round(k.fraction * Math.min(expected(k.orderNo), 8 * MiB));
        if (r.bytesUp < threshold) return undefined;
        return fire(k, i, conn, Math.max(0, chunk.length - (r.bytesUp - threshold)));
      }
      return undefined;
    };
  });
}

const ordersByNo = new WeakMap<World, Map<string, ValidOrder>>();
export function indexOrders(world: World, plan: Plan): void {
  ordersByNo.set(world, new Map(plan.orders.map((o) => [o.orderNo, o])));
}
function findOrder(world: World, orderNo: string): ValidOrder | undefined {
  return ordersByNo.get(world)?.get(orderNo);
}

async function sendValid(world: World, o: ValidOrder, result: ScenarioResult, clock: Clock): Promise<void> {
  world.sim.createScan({
    appId: world.appId,
    orderNo: o.orderNo,
    outcome: o.outcome,
    ...(o.code && { code: o.code }),
    fileDelayMs: o.fileDelayMs,
    ...(o.videoBytes !== undefined && { videoBytes: o.videoBytes }),
    photoType: o.photoType,
    idNo: o.idNo,
    name: o.name,
  });
  const query = world.sim.callbackQuery(world.appId, o.orderNo);
  result.tickets.add(world.sim.currentTicket(world.appId));
  result.validQueries.set(o.index, query);
  const first = await deliver(world, 'valid', `v${o.index}`, query, clock);
  result.deliveries.push(first);
  if (o.reloadAfterMs !== undefined) {
    await sleep(o.reloadAfterMs);
    result.deliveries.push(await deliver(world, 'reload', `r${o.index}`, query, clock));
  }
}

async function sendForged(world: World, plan: Plan, f: Forgery, result: ScenarioResult, clock: Clock): Promise<void> {
  const { sim, appId } = world;
  let query: Record<string, string>;
  const withSignature = (q: Record<string, string>, sig: string) => ({ ...q, newSignature: sig, newSign: sig });
  switch (f.kind) {
    case 'tampered-signature': {
      sim.createScan({ appId, orderNo: f.orderNo, outcome: 'pass' });
      const q = sim.callbackQuery(appId, f.orderNo);
      const sig = q.newSignature as string;
      const flipped = ((parseInt(sig[f.flipAt] as string, 16) + 1) % 16).toString(16).toUpperCase();
      query = withSignature(q, sig.slice(0, f.flipAt) + flipped + sig.slice(f.flipAt + 1));
      break;
    }
    case 'tampered-code': {
      sim.createScan({ appId, orderNo: f.orderNo, outcome: 'fail', code: '66660015' });
      query = { ...sim.callbackQuery(appId, f.orderNo), code: '0' };
      break;
    }
    case 'tampered-orderNo': {
      sim.createScan({ appId, orderNo: f.scannedOrderNo!, outcome: 'pass' });
      query = { ...sim.callbackQuery(appId, f.scannedOrderNo!), orderNo: f.orderNo };
      break;
    }
    case 'random-signature':
      query = withSignature(
        { code: '0', orderNo: f.orderNo, h5faceId: `wb${f.randomSignature.toLowerCase().slice(0, 30)}` },
        f.randomSignature,
      );
      break;
    case 'replay-other-code': {
      const target = plan.orders[f.target!]!;
      const seen = result.validQueries.get(target.index);
      const original = seen ?? {
        code: target.outcome === 'pass' ? '0' : (target.code ?? '66660011'),
        orderNo: target.orderNo,
        h5faceId: `wb${f.randomSignature.toLowerCase().slice(0, 30)}`,
        newSignature: sim.signCallback(
          appId,
          target.orderNo,
          target.outcome === 'pass' ? '0' : (target.code ?? '66660011'),
        ),
      };
      const sig = original.newSignature as string;
      query = withSignature({ ...original, code: original.code === '0' ? '66660015' : '0' }, sig);
      break;
    }
  }
  result.deliveries.push(await deliver(world, f.kind, `f${f.index}`, query, clock));
}

/**
 * One browser's way back: GET the callback (redirects not followed). A 5xx or a broken
 * connection is retried, as a user reloads a "try again in a moment" page; a 302 (accepted) or
 * a 4xx (refused) is final.
 */
async function deliver(
  world: World,
  kind: Delivery['kind'],
  id: string,
  query: Record<string, string>,
  { now, decideBy }: Clock,
): Promise<Delivery> {
  const d: Delivery = {
    kind,
    id,
    orderNo: query.orderNo ?? '',
    code: query.code ?? '',
    signature: query.newSignature ?? query.newSign ?? '',
    userAgents: [],
    attempts: [],
    final: 0,
  };
  const url = `${world.webUrl}/webank/callback?${new URLSearchParams(query)}`;
  for (let attempt = 1; ; attempt++) {
    const ua = `faultsuite/${world.runId} ${kind} ${id} a${attempt}`;
    d.userAgents.push(ua);
    let status = 0;
    let error: string | undefined;
    try {
      const res = await fetch(url, {
        redirect: 'manual',
        // Each browser from its own address (the web trusts the loopback proxy's X-Forwarded-For),
        // the forger from one: per-address limits see users and an attacker, not one loopback.
        headers: { 'user-agent': ua, 'x-forwarded-for': clientAddress(kind, id) },
        signal: AbortSignal.timeout(15_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      error = (err as Error).message;
    }
    d.attempts.push({ tMs: now(), status, ...(error && { error }) });
    d.final = status;
    if (status !== 0 && status < 500) break;
    if (attempt >= MIN_ATTEMPTS && now() >= decideBy()) break;
    await sleep(Math.min(750 * attempt, 5000));
  }
  return d;
}

/** A stable documentation-range address per browser; every forgery comes from one attacker. */
function clientAddress(kind: Delivery['kind'], id: string): string {
  if (kind !== 'valid' && kind !== 'reload') return '203.0.113.66';
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `198.51.${(h >>> 8) % 256}.${h % 254 || 1}`;
}

/** After the timeline: everything up and fast again, every replica running. */
async function healAll(world: World, note: (w: string) => void): Promise<void> {
  world.sim.clearFaults();
  for (const p of [...world.s3Proxies, ...world.simProxies]) {
    p.up();
    p.fast();
    p.interceptor = undefined;
  }
  if (!world.redis.isUp) await world.redis.up();
  for (const w of [world.web, ...world.workers]) {
    if (!w.alive) {
      await w.start();
      note(`${w.name} was down at the end of the timeline; started`);
    }
  }
}
