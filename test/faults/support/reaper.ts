import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Every process the suite starts is registered here. Two nets: an `exit` handler in the test
 * process kills what is still running, and a separate reaper process (reaper-process.mjs) kills it when
 * the test process dies without running handlers (SIGKILL, OOM).
 */
export class Reaper {
  private readonly reaper: ChildProcess;
  private readonly live = new Map<number, ChildProcess>();
  private readonly onExit = () => {
    for (const child of this.live.values()) child.kill('SIGKILL');
  };

  constructor() {
    this.reaper = spawn(process.execPath, [path.join(__dirname, 'reaper-process.mjs')], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    this.reaper.stdin?.on('error', () => undefined);
    process.once('exit', this.onExit);
  }

  add(child: ChildProcess): void {
    if (child.pid === undefined) return;
    const pid = child.pid;
    this.live.set(pid, child);
    this.reaper.stdin?.write(`+${pid}\n`);
    child.once('exit', () => {
      this.live.delete(pid);
      this.reaper.stdin?.write(`-${pid}\n`);
    });
  }

  /** Still-running processes, for the final "nothing left behind" check. */
  running(): number[] {
    return [...this.live.entries()].filter(([, c]) => c.exitCode === null && c.signalCode === null).map(([pid]) => pid);
  }

  /** Kills anything left, then lets the reaper go. */
  async close(): Promise<void> {
    const waits = [...this.live.values()].map(
      (c) =>
        new Promise<void>((resolve) =>
          c.exitCode !== null || c.signalCode !== null
            ? resolve()
            : (c.once('exit', () => resolve()), c.kill('SIGKILL')),
        ),
    );
    await Promise.all(waits);
    process.off('exit', this.onExit);
    await new Promise<void>((resolve) => {
      if (this.reaper.exitCode !== null) return resolve();
      this.reaper.once('exit', () => resolve());
      this.reaper.stdin?.end();
    });
  }
}
