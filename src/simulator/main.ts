import { componentLogger } from '../shared/platform/logger';
import { type SimulatorApp, type SimulatorOptions, startSimulator } from './index';

/**
 * `npm run simulator`: the WeBank stand-in on SIM_PORT (default 8090). Apps come from SIM_APPS
 * (JSON `[{"appId":"..","secret":".."}]` or `appId:secret,appId:secret`), else WEBANK_APP_ID and
 * WEBANK_SECRET. Timings: SIM_TICKET_PERIOD_MS, SIM_TICKET_GRACE_MS, SIM_TOKEN_TTL_MS,
 * SIM_TOKEN_OVERLAP_MS (default 60000, `off`), SIM_FILE_DELAY_MS, SIM_NONCE_TICKET_TTL_MS; SIM_SEED for
 * replayable faults; SIM_HOST to bind. Shapes: SIM_LEGACY_SHAPES=1 (the older answers),
 * SIM_EMPTY_CROP_RATE (0..1, share of OCR scans with empty crops).
 */

const log = componentLogger('simulator');

function apps(env: NodeJS.ProcessEnv): SimulatorApp[] {
  const raw = env.SIM_APPS?.trim();
  if (raw) {
    if (raw.startsWith('[')) {
      const parsed = JSON.parse(raw) as unknown;
      const isApp = (a: unknown) =>
        typeof a === 'object' &&
        a !== null &&
        typeof (a as SimulatorApp).appId === 'string' &&
        typeof (a as SimulatorApp).secret === 'string';
      if (!Array.isArray(parsed) || !parsed.every(isApp)) {
        throw new Error('SIM_APPS: expected [{"appId":"...","secret":"..."}]');
      }
      return parsed as SimulatorApp[];
    }
    return raw.split(',').map((pair) => {
      const i = pair.indexOf(':');
      if (i < 1 || i === pair.length - 1) throw new Error('SIM_APPS: expected appId:secret pairs separated by commas');
      return { appId: pair.slice(0, i).trim(), secret: pair.slice(i + 1).trim() };
    });
  }
  if (env.WEBANK_APP_ID && env.WEBANK_SECRET) return [{ appId: env.WEBANK_APP_ID, secret: env.WEBANK_SECRET }];
  throw new Error('set SIM_APPS or WEBANK_APP_ID and WEBANK_SECRET');
}

function num(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a non-negative number`);
  return n;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): SimulatorOptions {
  const opts: SimulatorOptions = {
    apps: apps(env),
    port: num(env, 'SIM_PORT') ?? 8090,
    host: env.SIM_HOST || '127.0.0.1',
  };
  if (env.SIM_TOKEN_OVERLAP_MS === 'off') opts.tokenOverlapMs = false;
  if (env.SIM_LEGACY_SHAPES === '1' || env.SIM_LEGACY_SHAPES === 'true') opts.legacyShapes = true;
  const map = {
    ticketPeriodMs: 'SIM_TICKET_PERIOD_MS',
    ticketGraceMs: 'SIM_TICKET_GRACE_MS',
    accessTokenTtlMs: 'SIM_TOKEN_TTL_MS',
    tokenOverlapMs: 'SIM_TOKEN_OVERLAP_MS',
    emptyCropRate: 'SIM_EMPTY_CROP_RATE',
    fileDelayMs: 'SIM_FILE_DELAY_MS',
    nonceTicketTtlMs: 'SIM_NONCE_TICKET_TTL_MS',
    seed: 'SIM_SEED',
  } as const;
  for (const [key, name] of Object.entries(map) as [keyof typeof map, string][]) {
    if (key === 'tokenOverlapMs' && opts.tokenOverlapMs === false) continue;
    const v = num(env, name);
    if (v !== undefined) opts[key] = v;
  }
  return opts;
}

async function main(): Promise<void> {
  const sim = await startSimulator(optionsFromEnv());
  process.stdout.write(`WeBank simulator listening on ${sim.url}\n`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    log.error('simulator failed to start', { err });
    process.exitCode = 1;
  });
}
