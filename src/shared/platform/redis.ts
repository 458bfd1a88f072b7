import { Redis, type RedisOptions } from 'ioredis';

/**
 * `producer`: for code answering a request (callbacks). Commands fail at once when Redis is
 * down instead of queueing in memory, so the caller can fall back to the outbox.
 * `worker`: for BullMQ workers and long-lived loops; BullMQ requires maxRetriesPerRequest null.
 */
export function createRedis(url: string, role: 'producer' | 'worker', name?: string): Redis {
  const common: RedisOptions = {
    connectionName: name,
    lazyConnect: false,
    // Reconnect forever with a capped delay: Redis coming back must be noticed without a restart.
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
  const options: RedisOptions =
    role === 'producer'
      ? { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 }
      : { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
  const client = new Redis(url, options);
  // Connection errors are reported by health checks and by the callers; an unhandled
  // 'error' event would crash the process.
  client.on('error', () => undefined);
  return client;
}
