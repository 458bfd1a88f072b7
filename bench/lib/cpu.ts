import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time per process from /proc, to say where the cores went during a measurement (the bench,
 * the target, the simulator, fauxqs, PostgreSQL, Redis, and anything else on the machine).
 * Linux only; elsewhere the breakdown is simply empty.
 */
const CLK_TCK = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces: split after the last ')'.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process, in seconds; 0 when it is gone. */
function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Pids whose command name is one of `names` (e.g. postgres, redis-server). */
export function pidsByComm(...names: string[]): number[] {
  return listPids().filter((p) => names.includes(comm(p)));
}

/** Direct children of this process whose command line contains `needle` (e.g. fauxqs-server). */
export function childPids(needle: string): number[] {
  return listPids().filter((p) => {
    const f = statFields(p);
    return f !== undefined && Number(f[1]) === process.pid && cmdline(p).includes(needle);
  });
}

/** Busy and total CPU seconds of the whole machine (all cores) from /proc/stat. */
function machineSeconds(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
  } catch {
    return undefined;
  }
}

export type CpuBreakdown = Record<string, number>;

/**
 * Measures, between `start()` and `stop()`, the cores each named group of processes used
 * (1.0 = one core fully busy), the whole machine's busy cores, and `other` (everything not named:
 * other engineers' test runs show up here).
 */
export class CpuMeter {
  private started = 0;
  private base = new Map<string, number>();
  private machine?: { busy: number; total: number };

  constructor(private readonly groups: Record<string, () => number[]>) {}

  private sample(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [name, pids] of Object.entries(this.groups))
      m.set(
        name,
        pids().reduce((s, p) => s + cpuSeconds(p), 0),
      );
    return m;
  }

  start(): void {
    this.started = performance.now();
    this.base = this.sample();
    this.machine = machineSeconds();
  }

  stop(): CpuBreakdown {
    const secs = (performance.now() - this.started) / 1000;
    const now = this.sample();
    const out: CpuBreakdown = {};
    let named = 0;
    for (const [name, v] of now) {
      const used = Math.max(0, v - (this.base.get(name) ?? 0)) / secs;
      out[name] = Math.round(used * 100) / 100;
      named += used;
    }
    const m = machineSeconds();
    if (m && this.machine) {
      const busy = (m.busy - this.machine.busy) / secs;
      out.machine = Math.round(busy * 100) / 100;
      out.other = Math.round(Math.max(0, busy - named) * 100) / 100;
    }
    return out;
  }
}

/** Formats a breakdown as `web 0.93, postgres 0.41, ...` (cores), biggest first. */
export function describeCpu(b: CpuBreakdown | undefined): string {
  if (!b) return '';
  const { machine, ...rest } = b;
  const parts = Object.entries(rest)
    .filter(([, v]) => v >= 0.01)
    .sort((a, b2) => b2[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`);
  return `${parts.join(', ')}${machine !== undefined ? ` (machine ${machine.toFixed(2)} of ${cores()} cores)` : ''}`;
}

function cores(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('processor')).length;
  } catch {
    return 0;
  }
}

/** Cores the whole machine kept busy over `ms` (undefined off Linux). */
export async function busyCores(ms: number): Promise<number | undefined> {
  const a = machineSeconds();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineSeconds();
  if (!a || !b) return undefined;
  return Math.round(((b.busy - a.busy) / ((performance.now() - t0) / 1000)) * 100) / 100;
}
