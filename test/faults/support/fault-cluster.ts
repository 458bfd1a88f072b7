import type { RedisTopology } from '../../../src/shared/platform/redis';
import { LocalRedisCluster, type RedisProcess } from '../../support/redis-topologies';
import type { Reaper } from './reaper';

/**
 * The fault suite's Redis as a 3-master Redis Cluster (FAULT_REDIS=cluster), with the same
 * interface as FaultRedis: `crash()` SIGKILLs the master serving the run's QUEUE_PREFIX slot (the
 * node every key of the deployment lives on, so the crash hits the queue, the ticket cache and the
 * locks), `up()` restarts it on its port, cluster-config-file and AOF (fsynced on every write, as
 * for FaultRedis) and waits until the cluster serves every slot again.
 */
export class FaultCluster {
  private home?: RedisProcess;

  private constructor(
    readonly cluster: LocalRedisCluster,
    private readonly queuePrefix: string,
  ) {}

  static async start(reaper: Reaper, queuePrefix: string): Promise<FaultCluster> {
    const cluster = await LocalRedisCluster.start({ appendonly: true, onSpawn: (c) => reaper.add(c) });
    const f = new FaultCluster(cluster, queuePrefix);
    f.home = await cluster.masterFor(`${queuePrefix}:archive`);
    return f;
  }

  /** The services' environment: REDIS_CLUSTER_NODES, REDIS_URL empty. */
  get env(): Record<string, string> {
    return this.cluster.env;
  }

  get topology(): RedisTopology {
    return this.cluster.topology;
  }

  get isUp(): boolean {
    return this.home?.isUp ?? false;
  }

  async crash(): Promise<void> {
    await this.home?.crash();
  }

  async up(): Promise<void> {
    if (this.isUp) return;
    await this.home?.up();
    await this.cluster.waitHealthy(30_000);
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
  }
}
