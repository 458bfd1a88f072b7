/**
 * How big and how long a fault run is. `ci` runs inside `npm test` (test/faults is under test/)
 * and must stay well under 90 s on a 2-core machine; `full` is `npm run test:faults`. Every
 * number can be overridden from the environment (docs/faults.md lists the variables).
 */
export interface Profile {
  name: string;
  /** Valid scans redirected to our callback, and forged or tampered callbacks. */
  orders: number;
  forged: number;
  /** Callbacks are spread over this window; faults happen in it and a little after. */
  windowMs: number;
  /** After the last fault: how long orders may take to reach a final state before the suite calls them stuck. */
  settleMs: number;
  redisOutages: number;
  s3Outages: number;
  s3SlowSpells: number;
  webankSpells: number;
  pgKills: number;
  /** SIGN ticket rotations forced at WeBank in the middle of the window (0 or 1). */
  rotations: number;
  /** Worker replicas SIGKILLed mid-download, mid-upload and between upload and the evidence row. */
  workerKills: number;
  /**
   * BullMQ's job lock and stalled-job check in the workers (ARCHIVE_LOCK_MS, ARCHIVE_STALLED_CHECK_MS):
   * a SIGKILLed worker's job comes back only after both, so the CI profile shortens them to fit its
   * settle time. The lock is renewed at half its length while a job runs, so a short lock only
   * hands a job over when its worker really stopped (or stalled that long).
   */
  archiveLockMs: number;
  stalledCheckMs: number;
  /** Share of orders with a large generated video, and its largest size. */
  bigVideoShare: number;
  maxVideoBytes: number;
  /** The simulator's grace for a superseded SIGN ticket (WeBank: about a minute). */
  ticketGraceMs: number;
  /**
   * TICKET_REREAD_MIN_GAP_SECONDS: how often a callback whose signature matches no held ticket may
   * re-read WeBank's SIGN ticket (a minute in production, like WeBank's grace for the old ticket;
   * scaled with `ticketGraceMs` to the run's compressed timeline).
   */
  ticketRereadGapSeconds: number;
}

const MiB = 1024 * 1024;

export const PROFILES: Record<string, Profile> = {
  ci: {
    name: 'ci',
    orders: 60,
    forged: 12,
    windowMs: 16_000,
    settleMs: 40_000,
    redisOutages: 1,
    s3Outages: 1,
    s3SlowSpells: 1,
    webankSpells: 2,
    pgKills: 3,
    rotations: 1,
    // One kill mid-download and one mid-upload: "a crash in the middle of a query stores only what
    // is missing" is proven on every `npm test`, with the lock and stalled check shortened below.
    workerKills: 2,
    archiveLockMs: 8_000,
    stalledCheckMs: 4_000,
    ticketRereadGapSeconds: 3,
    bigVideoShare: 0.1,
    maxVideoBytes: 4 * MiB,
    ticketGraceMs: 6_000,
  },
  full: {
    name: 'full',
    orders: 500,
    forged: 100,
    windowMs: 90_000,
    settleMs: 200_000,
    redisOutages: 3,
    s3Outages: 3,
    s3SlowSpells: 2,
    webankSpells: 5,
    pgKills: 8,
    rotations: 1,
    workerKills: 6,
    archiveLockMs: 60_000,
    stalledCheckMs: 30_000,
    ticketRereadGapSeconds: 10,
    bigVideoShare: 0.06,
    maxVideoBytes: 24 * MiB,
    ticketGraceMs: 20_000,
  },
};

const NUMERIC: (keyof Profile)[] = [
  'orders',
  'forged',
  'windowMs',
  'settleMs',
  'redisOutages',
  's3Outages',
  's3SlowSpells',
  'webankSpells',
  'pgKills',
  'rotations',
  'workerKills',
  'archiveLockMs',
  'stalledCheckMs',
  'ticketRereadGapSeconds',
  'bigVideoShare',
  'maxVideoBytes',
  'ticketGraceMs',
];

/** FAULT_PROFILE (default ci), then FAULT_ORDERS, FAULT_FORGED, FAULT_WINDOW_MS, ... (FAULT_ + the field in SNAKE_CASE). */
export function profileFromEnv(env: NodeJS.ProcessEnv = process.env): Profile {
  const base = PROFILES[env.FAULT_PROFILE ?? 'ci'];
  if (!base) throw new Error(`FAULT_PROFILE must be one of ${Object.keys(PROFILES).join(', ')}`);
  const out: Profile = { ...base };
  for (const key of NUMERIC) {
    const name = `FAULT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number: ${raw}`);
    (out as unknown as Record<string, number>)[key] = n;
  }
  return out;
}
