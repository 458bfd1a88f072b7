import os from 'node:os';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { DATABASE_URL, REDIS_URL } from './env';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  postgres: string;
  redis: string;
  /** 1/5/15-minute load average when the run started: other work on the machine skews the numbers. */
  loadAverage: number[];
}

/** What the numbers were measured on. */
export async function describeMachine(): Promise<Machine> {
  const cpus = os.cpus();
  let postgres = 'unknown';
  const pg = new Client({ connectionString: DATABASE_URL });
  try {
    await pg.connect();
    const r = await pg.query<{ server_version: string }>('SHOW server_version');
    postgres = r.rows[0]?.server_version ?? postgres;
  } catch {
    /* reported as unknown */
  } finally {
    await pg.end().catch(() => undefined);
  }
  let redis = 'unknown';
  const rc = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await rc.connect();
    redis = /redis_version:(\S+)/.exec(await rc.info('server'))?.[1] ?? redis;
  } catch {
    /* reported as unknown */
  } finally {
    rc.disconnect();
  }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    postgres,
    redis,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; PostgreSQL ${m.postgres}, Redis ${m.redis}; load average at start ${m.loadAverage.join(' / ')}`;
}
