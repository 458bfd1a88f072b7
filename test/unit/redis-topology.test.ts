import { ConfigError, loadConfig } from '../../src/shared/platform/config';
import { describeRedis, redisTopology } from '../../src/shared/platform/redis';

const base = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
  WEBANK_APP_ID: 'TIDA0001',
  WEBANK_SECRET: 's',
  S3_BUCKET: 'evidence',
  S3_ACCESS_KEY_ID: 'a',
  S3_SECRET_ACCESS_KEY: 'b',
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
};

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Redis topology configuration', () => {
  test('when REDIS_URL is set (with a password, over TLS), then it is one node', () => {
    const cfg = loadConfig({ ...base, REDIS_URL: 'rediss://:s3cret@redis.example.com:6380/2' });
    expect(cfg.redis).toEqual({ kind: 'single', url: 'rediss://:s3cret@redis.example.com:6380/2' });
    expect(describeRedis(cfg.redis)).toBe('rediss://redis.example.com:6380/2');
  });

  test('when REDIS_CLUSTER_NODES is set, then it is a cluster of those seeds, credentials from the URLs', () => {
    const cfg = loadConfig({
      ...base,
      REDIS_CLUSTER_NODES: 'rediss://app:pw%40x@10.0.0.1:6379, rediss://10.0.0.2:6380',
    });
    expect(cfg.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 6379 },
        { host: '10.0.0.2', port: 6380 },
      ],
      username: 'app',
      password: 'pw@x',
      tls: true,
    });
    expect(describeRedis(cfg.redis)).not.toContain('pw');
  });

  test('when REDIS_PASSWORD is set beside cluster seeds, then it wins over the URL', () => {
    const cfg = loadConfig({ ...base, REDIS_CLUSTER_NODES: 'redis://:old@h1:7000', REDIS_PASSWORD: 'new' });
    expect(cfg.redis).toMatchObject({ kind: 'cluster', password: 'new', tls: false });
  });

  test('when REDIS_SENTINELS and REDIS_SENTINEL_NAME are set, then it is Sentinel with its passwords and db', () => {
    const cfg = loadConfig({
      ...base,
      REDIS_SENTINELS: 's1:26379,s2:26380',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_PASSWORD: 'data',
      REDIS_SENTINEL_PASSWORD: 'sent',
      REDIS_DB: '3',
    });
    expect(cfg.redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'mymaster',
      username: undefined,
      password: 'data',
      sentinelPassword: 'sent',
      db: 3,
      tls: false,
    });
  });

  test('when no topology is set, then the error names the three choices', () => {
    const message = problems({});
    for (const name of ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS']) expect(message).toContain(name);
  });

  test('when two topologies are set, then the error names both', () => {
    const message = problems({ REDIS_URL: 'redis://h:6379', REDIS_CLUSTER_NODES: 'redis://h:7000' });
    expect(message).toContain('REDIS_URL, REDIS_CLUSTER_NODES: set only one Redis topology');
  });

  test('when an empty REDIS_URL sits beside cluster seeds (VAR= in an env file), then the seeds are used', () => {
    expect(loadConfig({ ...base, REDIS_URL: '', REDIS_CLUSTER_NODES: 'redis://h:7000' }).redis.kind).toBe('cluster');
  });

  test('when the values are malformed, then each problem is named, with no password in the text', () => {
    expect(problems({ REDIS_URL: 'http://:hunter2@h:6379' })).toMatch(/REDIS_URL: must be redis:\/\//);
    const cluster = problems({ REDIS_CLUSTER_NODES: 'redis://:hunter2@h:7000,h2:7001,redis://h3:7002/4' });
    expect(cluster).toContain('seed 2 must be redis://host:port');
    expect(cluster).toContain('only database 0');
    expect(cluster).not.toContain('hunter2');
    expect(problems({ REDIS_CLUSTER_NODES: 'redis://h1:7000,rediss://h2:7001' })).toContain('mix of redis://');
    const sentinel = problems({ REDIS_SENTINELS: 's1:26379,s2' });
    expect(sentinel).toContain('REDIS_SENTINEL_NAME: required');
    expect(sentinel).toContain('REDIS_SENTINELS: entry 2 must be host:port');
  });

  test('when other variables are bad too, then Redis problems are listed with them in one error', () => {
    const message = problems({ PORT: 'eighty', REDIS_SENTINELS: 's1:26379' });
    expect(message).toContain('PORT');
    expect(message).toContain('REDIS_SENTINEL_NAME');
  });

  test('the parser alone reports problems as a list', () => {
    expect(redisTopology({ REDIS_URL: 'redis://h:1', REDIS_SENTINELS: 's:1' })).toEqual({
      problems: ['REDIS_URL, REDIS_SENTINELS: set only one Redis topology (they are alternatives)'],
    });
  });
});
