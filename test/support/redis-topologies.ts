import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisTopology } from '../../src/shared/platform/redis';
import { freePort } from './throwaway-redis';

const run = promisify(execFile);

/**
 * Real local Redis topologies for tests: a 3-master Redis Cluster and a Sentinel set-up (master,
 * replica, one sentinel), each made of redis-server processes on free loopback ports in a
 * temporary directory, torn down by `stop()`. Nothing here mocks Redis: the service's factory
 * (`createRedis(cfg.redis, ...)`) connects to them exactly as to a managed offering.
 */

// A test process that ends without its afterAll (a jest timeout, Ctrl-C) takes its servers with it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One redis-server process that can be crashed (SIGKILL) and started again with the same arguments. */
export class RedisProcess {
  private child?: ChildProcess;
  /** Everything it printed, for error messages. */
  private output = '';

  constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly readyLine = 'Ready to accept connections',
    /** Told of every process started (the fault suite's reaper). */
    private readonly onSpawn?: (child: ChildProcess) => void,
  ) {}

  get pid(): number | undefined {
    return this.isUp ? this.child?.pid : undefined;
  }

  get isUp(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async up(timeoutMs = 15_000): Promise<void> {
    if (this.isUp) return;
    this.output = '';
    const child = spawn('redis-server', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.onSpawn?.(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server :${this.port} did not start: ${this.output.slice(-500)}`)),
        timeoutMs,
      );
      const onData = (d: Buffer) => {
        this.output = (this.output + d.toString()).slice(-4000);
        if (this.output.includes(this.readyLine)) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.on('data', (more: Buffer) => {
            this.output = (this.output + more.toString()).slice(-4000);
          });
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.resume();
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server :${this.port} exited with ${code}: ${this.output.slice(-500)}`));
      });
    });
  }

  /** SIGKILL: a crash, no goodbye. */
  async crash(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  get log(): string {
    return this.output;
  }
}

export interface ClusterOptions {
  masters?: number;
  /** AOF fsynced on every write (how BullMQ must run in production); default off, as a cache would run. */
  appendonly?: boolean;
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * A Redis Cluster of N masters (default 3) and no replicas: `redis-server --cluster-enabled yes`
 * per node, joined with `redis-cli --cluster create`. A crashed node restarted on the same port
 * and cluster-config-file takes its slots back (without replicas no failover happens meanwhile:
 * its slots answer CLUSTERDOWN until it is back).
 */
export class LocalRedisCluster {
  private constructor(
    readonly nodes: RedisProcess[],
    private readonly dir: string,
  ) {}

  static async start(opts: ClusterOptions = {}): Promise<LocalRedisCluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-cluster-'));
    const nodes: RedisProcess[] = [];
    for (let i = 0; i < (opts.masters ?? 3); i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      nodes.push(
        new RedisProcess(
          port,
          [
            '--port',
            String(port),
            // Redis 7: the bus port is chosen, not port + 10000 (which may be taken or above 65535).
            '--cluster-port',
            String(busPort),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '2000',
            '--dir',
            dir,
            '--dbfilename',
            `dump-${port}.rdb`,
            '--appendfilename',
            `appendonly-${port}.aof`,
            '--appenddirname',
            `aof-${port}`,
            '--save',
            '',
            '--appendonly',
            opts.appendonly ? 'yes' : 'no',
            '--appendfsync',
            'always',
            '--maxmemory-policy',
            'noeviction',
          ],
          undefined,
          opts.onSpawn,
        ),
      );
    }
    const cluster = new LocalRedisCluster(nodes, dir);
    try {
      await Promise.all(nodes.map((n) => n.up()));
      await run(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { timeout: 30_000 },
      );
      await cluster.waitHealthy();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** `redis://127.0.0.1:p1,redis://127.0.0.1:p2,...`: what an operator puts in REDIS_CLUSTER_NODES. */
  get seeds(): string {
    return this.nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(',');
  }

  get topology(): RedisTopology {
    return { kind: 'cluster', nodes: this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), tls: false };
  }

  /** The service's environment for this cluster (REDIS_URL emptied: exactly one topology). */
  get env(): Record<string, string> {
    return { REDIS_URL: '', REDIS_CLUSTER_NODES: this.seeds };
  }

  /** The master serving `key`'s slot, e.g. `{faceid}:anything` for a deployment's keys. */
  async masterFor(key: string): Promise<RedisProcess> {
    const up = this.nodes.find((n) => n.isUp)!;
    const slot = Number(await cli(up.port, 'CLUSTER', 'KEYSLOT', key));
    const r = new Redis(up.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await r.connect();
      const slots = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const owner = slots.find(([from, to]) => slot >= from && slot <= to);
      const node = this.nodes.find((n) => n.port === owner?.[2][1]);
      if (!node) throw new Error(`no node serves slot ${slot}`);
      return node;
    } finally {
      r.disconnect();
    }
  }

  /** Waits until every node that is up says cluster_state:ok (all slots served). */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        this.nodes.filter((n) => n.isUp).map((n) => cli(n.port, 'CLUSTER', 'INFO').catch((e: Error) => e.message)),
      );
      if (states.length === this.nodes.length && states.every((s) => s.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) {
        const seen = states.map((s) => /cluster_state:\w+/.exec(s)?.[0] ?? s).join(' ');
        throw new Error(`cluster not healthy within ${timeoutMs} ms: ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.crash()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Sentinel set-up: one master, one replica of it and one sentinel monitoring them as
 * `mymaster` (quorum 1, so a test may fail the master over).
 */
export class LocalRedisSentinel {
  readonly name = 'mymaster';

  private constructor(
    readonly master: RedisProcess,
    readonly replica: RedisProcess,
    readonly sentinel: RedisProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<LocalRedisSentinel> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-sentinel-'));
    const [m, r, s] = [await freePort(), await freePort(), await freePort()];
    const common = (port: number) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--dbfilename',
      `dump-${port}.rdb`,
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const master = new RedisProcess(m, common(m));
    const replica = new RedisProcess(r, [...common(r), '--replicaof', '127.0.0.1', String(m)]);
    // A sentinel rewrites its configuration file, so it gets one of its own.
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${s}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${m} 1`,
        'sentinel down-after-milliseconds mymaster 2000',
        'sentinel failover-timeout mymaster 10000',
        '',
      ].join('\n'),
    );
    const sentinel = new RedisProcess(s, [conf, '--sentinel'], '+monitor master mymaster');
    const set = new LocalRedisSentinel(master, replica, sentinel, dir);
    try {
      await master.up();
      await replica.up();
      await sentinel.up();
    } catch (err) {
      await set.stop();
      throw err;
    }
    return set;
  }

  /** What an operator puts in REDIS_SENTINELS / REDIS_SENTINEL_NAME (REDIS_URL emptied). */
  get env(): Record<string, string> {
    return { REDIS_URL: '', REDIS_SENTINELS: `127.0.0.1:${this.sentinel.port}`, REDIS_SENTINEL_NAME: this.name };
  }

  get topology(): RedisTopology {
    return {
      kind: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: this.sentinel.port }],
      name: this.name,
      db: 0,
      tls: false,
    };
  }

  /** The port of the master the sentinel names now (the replica's after a failover). */
  async currentMasterPort(): Promise<number> {
    const out = await cli(this.sentinel.port, 'SENTINEL', 'get-master-addr-by-name', this.name);
    return Number(out.trim().split('\n')[1]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.sentinel.crash(), this.replica.crash(), this.master.crash()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
  return stdout;
}
