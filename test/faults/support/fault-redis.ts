import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RedisTopology } from '../../../src/shared/platform/redis';
import { freePort } from '../../support/throwaway-redis';
import type { Reaper } from './reaper';

/**
 * A redis-server owned by the fault suite, configured the way BullMQ must run in production:
 * append-only file fsynced on every write (BullMQ's "going to production" guide), so a crash
 * (`crash()`, SIGKILL) and restart on the same port and directory keeps the queue. The shared
 * `test/support/throwaway-redis.ts` runs without persistence, which is right for its tests but
 * would turn every restart here into the loss of every job: a different fault than "Redis down".
 */
export class FaultRedis {
  private child?: ChildProcess;
  private readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly reaper: Reaper,
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'faultsuite-redis-'));
  }

  static async start(reaper: Reaper): Promise<FaultRedis> {
    const r = new FaultRedis(await freePort(), reaper);
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The services' environment (FaultCluster gives REDIS_CLUSTER_NODES instead). */
  get env(): Record<string, string> {
    return { REDIS_URL: this.url };
  }

  get topology(): RedisTopology {
    return { kind: 'single', url: this.url };
  }

  get isUp(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async up(): Promise<void> {
    if (this.isUp) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.reaper.add(child);
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start within 10 s: ${seen.slice(-500)}`)),
        10_000,
      );
      const onData = (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.resume();
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${seen.slice(-500)}`));
      });
    });
  }

  /** Kills redis-server with SIGKILL (a crash); what was fsynced to the AOF survives. */
  async crash(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.crash();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
