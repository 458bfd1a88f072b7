import type { Faults } from '../../../src/simulator';
import type { Profile } from './profile';
import { Prng } from './prng';

export type ScanOutcome = 'pass' | 'fail' | 'risk';

/** One valid scan and the browser that comes back with its signed redirect. */
export interface ValidOrder {
  index: number;
  orderNo: string;
  outcome: ScanOutcome;
  code?: string;
  fileDelayMs: number;
  videoBytes?: number;
  photoType: 'jpg' | 'png';
  idNo: string;
  name: string;
  sendAtMs: number;
  /** The user reloads the result page this long after the first answer (a repeated callback). */
  reloadAfterMs?: number;
}

export type ForgeryKind =
  'tampered-signature' | 'tampered-code' | 'tampered-orderNo' | 'random-signature' | 'replay-other-code';

export interface Forgery {
  index: number;
  kind: ForgeryKind;
  /** The orderNo sent. For replay-other-code it is a valid order's; otherwise never valid. */
  orderNo: string;
  /** tampered-orderNo: the scan whose signature is reused under another orderNo. */
  scannedOrderNo?: string;
  /** replay-other-code: the valid order whose signature is replayed. */
  target?: number;
  sendAtMs: number;
  /** Which hex digit of the signature to change, and a random signature, both from the seed. */
  flipAt: number;
  randomSignature: string;
}

export type FaultEvent =
  | { kind: 'redis-outage'; atMs: number; durationMs: number }
  | { kind: 's3-outage'; atMs: number; durationMs: number }
  | { kind: 's3-slow'; atMs: number; durationMs: number; latencyMs: number; bytesPerSec: number }
  | { kind: 'webank-faults'; atMs: number; durationMs: number; faults: Partial<Faults> }
  | { kind: 'rotate-tickets'; atMs: number }
  | { kind: 'pg-terminate'; atMs: number; target: 'web' | 'worker-1' | 'worker-2' | 'all' };

export type KillPoint = 'download' | 'upload' | 'copy';

/** A worker SIGKILL armed on the first matching transfer of one order. */
export interface WorkerKill {
  point: KillPoint;
  orderNo: string;
  /** Where in the transfer: fraction of the expected bytes (download, upload); before/after the copy. */
  fraction: number;
  restartAfterMs: number;
}

export interface Plan {
  seed: number;
  orders: ValidOrder[];
  forgeries: Forgery[];
  faults: FaultEvent[];
  kills: WorkerKill[];
  /** When the last fault ends (relative to the start of the window). */
  faultsEndMs: number;
}

const FAIL_CODES = ['66660015', '66660016', '66660017', '66660018', '66660023'];
const FORGERIES: ForgeryKind[] = [
  'tampered-signature',
  'tampered-code',
  'tampered-orderNo',
  'random-signature',
  'replay-other-code',
];
// Name characters: every order gets a name no other order has, so a leak is attributable.
const NAME_CHARS = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红';
const MiB = 1024 * 1024;

/** A well-formed mainland ID number (valid check digit), unique per index, from the seed. */
function idNumber(rng: Prng, index: number): string {
  const year = 1960 + (index % 40);
  const month = String(rng.int(1, 12)).padStart(2, '0');
  const day = String(rng.int(1, 28)).padStart(2, '0');
  const seq = String(Math.floor(index / 40) % 1000).padStart(3, '0');
  const body = `${rng.pick(['110105', '310104', '440305', '510107'])}${year}${month}${day}${seq}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * (weights[i] ?? 0), 0);
  return body + '10X98765432'[sum % 11];
}

function uniqueName(index: number): string {
  const n = NAME_CHARS.length;
  return `欧阳${NAME_CHARS[index % n]}${NAME_CHARS[Math.floor(index / n) % n]}${NAME_CHARS[Math.floor(index / (n * n)) % n]}`;
}

/** `count` windows of the given length range spread over [from, to), one per equal slice, not overlapping. */
function spread(
  rng: Prng,
  count: number,
  from: number,
  to: number,
  minLen: number,
  maxLen: number,
): { atMs: number; durationMs: number }[] {
  const out: { atMs: number; durationMs: number }[] = [];
  if (count <= 0) return out;
  const slice = (to - from) / count;
  for (let i = 0; i < count; i++) {
    const durationMs = Math.round(rng.between(minLen, maxLen));
    const latest = Math.max(0, slice - durationMs);
    out.push({ atMs: Math.round(from + i * slice + rng.between(0, latest)), durationMs });
  }
  return out;
}

/** The whole run, decided up front from the seed: what is sent when, and what breaks when. */
export function makePlan(seed: number, profile: Profile): Plan {
  const root = new Prng(seed);
  const W = profile.windowMs;

  const r = root.fork('orders');
  const orders: ValidOrder[] = [];
  for (let i = 0; i < profile.orders; i++) {
    const roll = r.next();
    const outcome: ScanOutcome = roll < 0.85 ? 'pass' : roll < 0.95 ? 'fail' : 'risk';
    const lateRoll = r.next();
    const fileDelayMs = lateRoll < 0.1 ? r.int(300, 1500) : lateRoll < 0.15 ? r.int(2500, 5000) : 0;
    const big = r.chance(profile.bigVideoShare);
    orders.push({
      index: i,
      orderNo: `fv${String(i).padStart(4, '0')}`,
      outcome,
      ...(outcome === 'fail' && { code: r.pick(FAIL_CODES) }),
      fileDelayMs,
      ...(big && { videoBytes: r.int(Math.min(MiB, profile.maxVideoBytes), profile.maxVideoBytes) }),
      photoType: r.chance(0.1) ? 'png' : 'jpg',
      idNo: idNumber(r, i),
      name: uniqueName(i),
      sendAtMs: Math.round(r.between(0, W)),
      ...(r.chance(0.06) && { reloadAfterMs: r.int(300, 4000) }),
    });
  }

  const f = root.fork('forgeries');
  const forgeries: Forgery[] = [];
  for (let j = 0; j < profile.forged; j++) {
    const kind = FORGERIES[j % FORGERIES.length] as ForgeryKind;
    const sendAtMs = Math.round(f.between(0, W));
    const base = { index: j, kind, sendAtMs, flipAt: f.int(0, 39), randomSignature: f.hex(40) };
    if (kind === 'replay-other-code') {
      // Replay a valid order's signature (one the browser has already delivered, when there is one) with another code.
      const candidates = orders.filter((o) => o.outcome !== 'risk');
      const earlier = candidates.filter((o) => o.sendAtMs < sendAtMs - 500);
      const target = f.pick(earlier.length ? earlier : candidates.length ? candidates : orders);
      forgeries.push({ ...base, orderNo: target.orderNo, target: target.index });
    } else if (kind === 'tampered-orderNo') {
      forgeries.push({
        ...base,
        orderNo: `ff${String(j).padStart(4, '0')}`,
        scannedOrderNo: `fs${String(j).padStart(4, '0')}`,
      });
    } else {
      forgeries.push({ ...base, orderNo: `ff${String(j).padStart(4, '0')}` });
    }
  }

  const t = root.fork('faults');
  const faults: FaultEvent[] = [];
  // Redis: during callbacks and during jobs, the last one after the callbacks (jobs only).
  for (const w of spread(t, profile.redisOutages, 0.1 * W, 1.15 * W, 1500, 5000))
    faults.push({ kind: 'redis-outage', ...w });
  for (const w of spread(t, profile.s3Outages, 0.1 * W, 1.1 * W, 2000, 6000)) faults.push({ kind: 's3-outage', ...w });
  for (const w of spread(t, profile.s3SlowSpells, 0.05 * W, 1.0 * W, 3000, 8000)) {
    faults.push({ kind: 's3-slow', ...w, latencyMs: t.int(20, 200), bytesPerSec: t.int(256, 2048) * 1024 });
  }
  for (const w of spread(t, profile.webankSpells, 0.05 * W, 1.05 * W, 2500, 7000)) {
    const mix: Partial<Faults> = {};
    const kinds = t.sample(
      [
        'http5xxRate',
        'timeoutRate',
        'truncatedJsonRate',
        'malformedJsonRate',
        'invalidBase64Rate',
        'resetRate',
      ] as const,
      t.int(2, 4),
    );
    for (const k of kinds) mix[k] = Math.round(t.between(0.15, 0.5) * 100) / 100;
    if (t.chance(0.3)) mix.latencyMs = t.int(50, 400);
    // Half the spells hit the result query only; the rest every /api path, ticket refreshes included.
    if (t.chance(0.5)) mix.paths = ['/api/server/sync'];
    faults.push({ kind: 'webank-faults', ...w, faults: mix });
  }
  const rotateAt = Math.round(W * t.between(0.4, 0.6));
  if (profile.rotations > 0) faults.push({ kind: 'rotate-tickets', atMs: rotateAt });
  for (let i = 0; i < profile.pgKills; i++) {
    faults.push({
      kind: 'pg-terminate',
      atMs: Math.round(t.between(0.05 * W, 1.1 * W)),
      target: t.pick(['web', 'worker-1', 'worker-2', 'all'] as const),
    });
  }
  faults.sort((a, b) => a.atMs - b.atMs);

  const k = root.fork('kills');
  const kills: WorkerKill[] = [];
  // Victims are sent early enough that BullMQ's stalled-job recovery (up to ~90 s) fits the settle time.
  const early = orders.filter((o) => o.outcome === 'pass' && o.fileDelayMs === 0 && o.sendAtMs < 0.6 * W);
  const bigEarly = early.filter((o) => (o.videoBytes ?? 0) >= MiB);
  const points: KillPoint[] = ['download', 'upload', 'copy'];
  const used = new Set<string>();
  for (let i = 0; i < profile.workerKills; i++) {
    const point = points[i % points.length] as KillPoint;
    const pool = (point === 'copy' ? early : bigEarly.length ? bigEarly : early).filter((o) => !used.has(o.orderNo));
    if (!pool.length) break;
    const victim = k.pick(pool);
    used.add(victim.orderNo);
    kills.push({
      point,
      orderNo: victim.orderNo,
      fraction: Math.round(k.between(0.1, 0.9) * 100) / 100,
      restartAfterMs: k.int(500, 4000),
    });
  }

  const faultsEndMs = Math.max(W, ...faults.map((e) => e.atMs + ('durationMs' in e ? e.durationMs : 0)));
  return { seed, orders, forgeries, faults, kills, faultsEndMs };
}
