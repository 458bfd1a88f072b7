import { seededRandom } from './format';
import type { FaultKind, Faults } from './types';

const NONE: Faults = {
  latencyMs: 0,
  http5xxRate: 0,
  malformedJsonRate: 0,
  truncatedJsonRate: 0,
  resetRate: 0,
  invalidBase64Rate: 0,
  timeoutRate: 0,
};

const RATES = ['timeoutRate', 'http5xxRate', 'resetRate', 'malformedJsonRate', 'truncatedJsonRate'] as const;
const KIND: Record<(typeof RATES)[number], Exclude<FaultKind, 'invalidBase64'>> = {
  timeoutRate: 'timeout',
  http5xxRate: 'http5xx',
  resetRate: 'reset',
  malformedJsonRate: 'malformed',
  truncatedJsonRate: 'truncated',
};

/** What to do to one response. At most one of the exclusive faults, plus possibly bad base64. */
export interface FaultPlan {
  latencyMs: number;
  kind?: Exclude<FaultKind, 'invalidBase64'>;
  invalidBase64: boolean;
}

/**
 * The fault knobs and their dice. Each response rolls every rate in a fixed order (timeout, 5xx,
 * reset, malformed, truncated; the first that fires wins) and bad base64 on its own, from a seeded
 * generator so a run can be replayed.
 */
export class FaultInjector {
  private faults: Faults = { ...NONE };
  private readonly random: () => number;

  constructor(seed = Math.floor(Math.random() * 2 ** 31)) {
    this.random = seededRandom(seed);
  }

  set(f: Partial<Faults>): Faults {
    const next: Faults = { ...this.faults };
    for (const [k, v] of Object.entries(f ?? {})) {
      if (k === 'paths') {
        if (v !== undefined && (!Array.isArray(v) || v.some((p) => typeof p !== 'string'))) {
          throw new Error('paths must be a list of strings');
        }
        if (v === undefined) delete next.paths;
        else next.paths = [...v];
      } else if (k in NONE) {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (k !== 'latencyMs' && v > 1)) {
          throw new Error(`${k} must be ${k === 'latencyMs' ? 'a non-negative number' : 'between 0 and 1'}`);
        }
        (next as unknown as Record<string, number>)[k] = v;
      } else {
        throw new Error(`unknown fault ${k}`);
      }
    }
    this.faults = next;
    return this.current();
  }

  clear(): void {
    this.faults = { ...NONE };
  }

  current(): Faults {
    return { ...this.faults, ...(this.faults.paths && { paths: [...this.faults.paths] }) };
  }

  /** Rolls the dice for a request to `path` (only /api/ paths, and only `paths` when set). */
  roll(path: string): FaultPlan {
    const f = this.faults;
    const inScope = path.startsWith('/api/') && (!f.paths || f.paths.includes(path));
    if (!inScope) return { latencyMs: 0, invalidBase64: false };
    let kind: FaultPlan['kind'];
    for (const rate of RATES) {
      if (f[rate] > 0 && this.random() < f[rate]) {
        kind = KIND[rate];
        break;
      }
    }
    const invalidBase64 = f.invalidBase64Rate > 0 && this.random() < f.invalidBase64Rate;
    return { latencyMs: f.latencyMs, ...(kind && { kind }), invalidBase64 };
  }
}
