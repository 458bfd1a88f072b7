import type { RedisClient } from './redis';
import { PeriodicTask } from './periodic-task';
import { withLock } from './redis-lock';

export interface LeaderTaskOptions {
  /** Names the schedule in logs. */
  name: string;
  /** The lock's key is `<prefix>:lock:<lock>`; the prefix (QUEUE_PREFIX) keeps two deployments apart. */
  prefix: string;
  lock: string;
  redis: RedisClient;
  /** Lock expiry; a live holder extends it every third of this while its pass runs. */
  lockTtlMs: number;
  intervalMs: number;
  /** Delay before the first pass; default min(1 s, interval). */
  firstDelayMs?: number;
}

/**
 * A periodic job that one replica at a time runs: every replica keeps the schedule, and at each
 * tick the one that takes the Redis lock runs a pass while the others skip it. The lock expires if
 * its holder dies, so another replica leads at its next tick. The lock is good for "at most one
 * replica now", not for correctness under Redis failover: a pass must be harmless to run twice.
 */
export abstract class LeaderTask<T> {
  private readonly loop: PeriodicTask;
  /** Aborted by stop(): a pass in progress may end early (between two units of its work). */
  private stopping = new AbortController();

  protected constructor(private readonly leader: LeaderTaskOptions) {
    this.loop = new PeriodicTask(leader.name, () => this.scheduledPass(), leader.intervalMs, leader.firstDelayMs);
  }

  /** What each tick runs: usually `asLeader` around the subclass's pass. */
  protected abstract scheduledPass(): Promise<T | undefined>;

  /** Called when another replica holds the lock (e.g. to clear gauges only the leader should export). */
  protected onFollower(): void {}

  start(): void {
    this.stopping = new AbortController();
    this.loop.start();
  }

  /** Cancels the schedule and waits for a pass in progress (whose signal aborts). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop.stop();
  }

  /**
   * Runs `pass` if no other replica holds the lock; undefined when one does. `signal` aborts when
   * the lock is lost (an extension found it taken) or stop() is called.
   */
  protected async asLeader(pass: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    const { redis, prefix, lock, lockTtlMs } = this.leader;
    const res = await withLock(redis, `${prefix}:lock:${lock}`, lockTtlMs, (_lock, lost) =>
      pass(AbortSignal.any([lost, this.stopping.signal])),
    );
    if (res.acquired) return res.value;
    this.onFollower();
    return undefined;
  }
}
