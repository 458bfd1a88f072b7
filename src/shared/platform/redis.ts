import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * THE Redis factory. Every Redis user in the service (BullMQ queues and workers, the outbox relay,
 * locks and leader tasks, the ticket cache, rate limits, result redirects, bull-board, readiness)
 * gets its connection from `createRedis(cfg.redis, role, name)` and types it `RedisClient`, so
 * the same code runs on one node, a Sentinel-managed master or a Redis Cluster. New Redis users:
 * take a `RedisClient` from the caller (never `new Redis(...)`), and keep every multi-key command
 * or Lua script inside one hash slot: build keys as `${cfg.QUEUE_PREFIX}:<what>:...`, whose
 * `{...}` hash tag puts all of a deployment's keys in the slot BullMQ's keys are in. See
 * docs/operations.md, "Redis topologies".
 */
export type RedisClient = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

/** Which Redis the service talks to; exactly one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS. */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | {
      kind: 'cluster';
      nodes: RedisNode[];
      username?: string;
      password?: string;
      /** rediss:// seeds: TLS to every node. */
      tls: boolean;
    }
  | {
      kind: 'sentinel';
      sentinels: RedisNode[];
      /** The master group name the sentinels monitor (REDIS_SENTINEL_NAME). */
      name: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      db: number;
      tls: boolean;
    };

/** The variables `redisTopology` reads (strings as in the environment; empty means unset). */
export interface RedisEnv {
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_USERNAME?: string;
  REDIS_PASSWORD?: string;
  REDIS_SENTINEL_PASSWORD?: string;
  REDIS_DB?: string;
  REDIS_TLS?: string;
}

/**
 * Reads the topology from the environment, or lists every problem (never a password). Exactly
 * one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS must be set.
 */
export function redisTopology(env: RedisEnv): { topology: RedisTopology } | { problems: string[] } {
  const set = (v?: string) => (v?.trim() ? v.trim() : undefined);
  const url = set(env.REDIS_URL);
  const clusterNodes = set(env.REDIS_CLUSTER_NODES);
  const sentinels = set(env.REDIS_SENTINELS);
  const given = [url && 'REDIS_URL', clusterNodes && 'REDIS_CLUSTER_NODES', sentinels && 'REDIS_SENTINELS'].filter(
    (v): v is string => Boolean(v),
  );
  if (given.length === 0) {
    return {
      problems: [
        'REDIS_URL: set one Redis topology: REDIS_URL (one node), REDIS_CLUSTER_NODES (Redis Cluster) or REDIS_SENTINELS + REDIS_SENTINEL_NAME (Sentinel)',
      ],
    };
  }
  if (given.length > 1) {
    return { problems: [`${given.join(', ')}: set only one Redis topology (they are alternatives)`] };
  }
  const problems: string[] = [];
  const tlsFlag = set(env.REDIS_TLS);
  if (tlsFlag && !['true', 'false', '1', '0', 'yes', 'no'].includes(tlsFlag)) problems.push('REDIS_TLS: true or false');
  const tls = tlsFlag === 'true' || tlsFlag === '1' || tlsFlag === 'yes';

  if (url) {
    const u = tryUrl(url);
    if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname) {
      problems.push('REDIS_URL: must be redis://[user:password@]host:port[/db] or rediss://… (TLS)');
    }
    return problems.length ? { problems } : { topology: { kind: 'single', url } };
  }

  if (clusterNodes) {
    const nodes: RedisNode[] = [];
    let secure: boolean | undefined;
    let username = set(env.REDIS_USERNAME);
    let password = set(env.REDIS_PASSWORD);
    for (const [i, raw] of clusterNodes.split(',').entries()) {
      const u = tryUrl(raw.trim());
      if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname || !u.port) {
        problems.push(`REDIS_CLUSTER_NODES: seed ${i + 1} must be redis://host:port or rediss://host:port`);
        continue;
      }
      const isTls = u.protocol === 'rediss:';
      if (secure !== undefined && secure !== isTls) problems.push('REDIS_CLUSTER_NODES: mix of redis:// and rediss://');
      secure = isTls;
      if (u.pathname && u.pathname !== '/' && u.pathname !== '/0') {
        problems.push('REDIS_CLUSTER_NODES: Redis Cluster has only database 0 (drop the /db)');
      }
      // Credentials may ride on a seed URL as on REDIS_URL; REDIS_USERNAME/REDIS_PASSWORD win.
      username ??= u.username ? decodeURIComponent(u.username) : undefined;
      password ??= u.password ? decodeURIComponent(u.password) : undefined;
      nodes.push({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) });
    }
    if (problems.length) return { problems };
    return { topology: { kind: 'cluster', nodes, username, password, tls: Boolean(secure) || tls } };
  }

  const name = set(env.REDIS_SENTINEL_NAME);
  if (!name) problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master group name, e.g. mymaster)');
  const nodes: RedisNode[] = [];
  for (const [i, raw] of (sentinels ?? '').split(',').entries()) {
    const m = /^\s*(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})\s*$/.exec(raw);
    if (!m) {
      problems.push(`REDIS_SENTINELS: entry ${i + 1} must be host:port`);
      continue;
    }
    nodes.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
  }
  const dbRaw = set(env.REDIS_DB) ?? '0';
  if (!/^\d+$/.test(dbRaw)) problems.push('REDIS_DB: a database number');
  if (problems.length) return { problems };
  return {
    topology: {
      kind: 'sentinel',
      sentinels: nodes,
      name: name!,
      username: set(env.REDIS_USERNAME),
      password: set(env.REDIS_PASSWORD),
      sentinelPassword: set(env.REDIS_SENTINEL_PASSWORD),
      db: Number(dbRaw),
      tls,
    },
  };
}

function tryUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/** A line for logs and health output: the topology without credentials. */
export function describeRedis(t: RedisTopology): string {
  if (t.kind === 'single') {
    const u = new URL(t.url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  }
  if (t.kind === 'cluster') return `cluster ${t.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return `sentinel ${t.name}@${t.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
}

/**
 * `producer`: for code answering a request (callbacks). Commands fail at once when Redis is
 * down instead of queueing in memory, so the caller can fall back to the outbox.
 * `worker`: for BullMQ workers and long-lived loops; BullMQ requires maxRetriesPerRequest null.
 * `source` is the configured topology (`cfg.redis`), or a redis:// URL (tests, tools).
 */
export function createRedis(source: RedisTopology | string, role: 'producer' | 'worker', name?: string): RedisClient {
  const topology: RedisTopology = typeof source === 'string' ? { kind: 'single', url: source } : source;
  const common: RedisOptions = {
    connectionName: name,
    lazyConnect: false,
    // Reconnect forever with a capped delay: Redis coming back must be noticed without a restart.
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
  const perRole: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  let client: RedisClient;
  if (topology.kind === 'single') {
    client = new Redis(topology.url, { ...common, ...perRole });
  } else if (topology.kind === 'sentinel') {
    client = new Redis({
      ...common,
      ...perRole,
      sentinels: topology.sentinels,
      name: topology.name,
      role: 'master',
      username: topology.username,
      password: topology.password,
      sentinelPassword: topology.sentinelPassword,
      db: topology.db,
      // Ask the sentinels again for ever: a failover (or all sentinels restarting) must heal on its own.
      sentinelRetryStrategy: (times) => Math.min(200 * times, 2000),
      ...(topology.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  } else {
    const clusterOptions: ClusterOptions = {
      // Per node: the same role semantics as a single node. BullMQ reads maxRetriesPerRequest here.
      redisOptions: {
        connectionName: name,
        connectTimeout: role === 'producer' ? 2000 : 10_000,
        maxRetriesPerRequest: role === 'producer' ? 1 : null,
        username: topology.username,
        password: topology.password,
        ...(topology.tls ? { tls: {} } : {}),
      },
      lazyConnect: false,
      enableOfflineQueue: role !== 'producer',
      enableReadyCheck: true,
      // A command whose node is down is retried every `retryDelayOn*` ms, at most `maxRedirections`
      // times. The producer keeps the default (about 1.6 s: a callback falls back to the outbox).
      // A worker must outlast a node restart or a failover (node timeout + election, up to about
      // 30 s on managed clusters), as maxRetriesPerRequest null makes it on one node: otherwise a
      // job whose node died while it ran cannot be moved to completed/failed and sits "active"
      // until the stalled-job check, long after the node is back (seen in the fault suite).
      ...(role === 'worker' ? WORKER_RETRIES : {}),
      // Reconnect forever with a capped delay, as for one node.
      clusterRetryStrategy: (times) => Math.min(200 * times, 2000),
      // A loaded machine or a managed cluster in another zone answers CLUSTER SLOTS slower than 1 s.
      slotsRefreshTimeout: 3000,
      // With TLS, certificates name the configuration endpoint, not the node IPs: keep host names
      // (ioredis' advice for ElastiCache with in-transit encryption).
      ...(topology.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    };
    client =
      role === 'worker'
        ? new WorkerCluster(topology.nodes, clusterOptions as ConstructorParameters<typeof WorkerCluster>[1])
        : new Cluster(topology.nodes, clusterOptions);
  }
  // Connection errors are reported by health checks and by the callers; an unhandled
  // 'error' event would crash the process.
  client.on('error', () => undefined);
  return client;
}

const WORKER_RETRIES = {
  retryDelayOnFailover: 500,
  retryDelayOnClusterDown: 500,
  retryDelayOnTryAgain: 500,
  maxRedirections: 120,
} satisfies ClusterOptions;

/** Well under a second: below BullMQ's blocking watchdog (block timeout + 1 s). */
const BLOCKING_RETRIES = {
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 100,
  retryDelayOnTryAgain: 100,
  maxRedirections: 6,
} satisfies ClusterOptions;

/**
 * A worker's cluster connection, whose duplicates fail fast. BullMQ duplicates a worker's
 * connection for its blocking BZPOPMIN and races that command against a watchdog; when a command
 * outlives the watchdog (a minute of retries on a dead node), BullMQ resets the duplicate with
 * `disconnect(true)`, which on an ioredis Cluster can wait for ever: the worker then takes no job
 * again (seen in test/integration/redis/cluster.test.ts with delayed jobs at the crash). Failing
 * fast instead takes BullMQ's error path (reconnect, short delay, block again).
 */
class WorkerCluster extends Cluster {
  override duplicate(...[nodes, options]: Parameters<Cluster['duplicate']>): Cluster {
    return super.duplicate(nodes, { ...BLOCKING_RETRIES, ...options });
  }
}

/**
 * The readiness probe of a Redis connection: a read of a key under `prefix` (QUEUE_PREFIX), which
 * a cluster routes to the node serving the deployment's slot. A PING would go to any node, and
 * report ready while the node holding the queue is down.
 */
export async function redisHealth(redis: RedisClient, prefix: string): Promise<void> {
  await redis.exists(`${prefix}:archive:meta`);
}

/** Resolves once the client can take commands, or after `ms` (callers then see the commands fail). */
export function redisReady(redis: RedisClient, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    redis.once('ready', done);
  });
}
