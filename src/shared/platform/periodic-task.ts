import { componentLogger } from './logger';

const log = componentLogger('periodic');

/**
 * Runs `pass` again `intervalMs` after the previous one ended (passes never overlap), from
 * `firstDelayMs` after start. A failed pass is logged and the schedule goes on; `stop()` cancels
 * the schedule and waits for a pass in flight. Timers are unref'd: they never keep a process alive.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly firstDelayMs = Math.min(1000, intervalMs),
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.pass()
        .catch((err: unknown) => log.warn(`${this.name} pass failed`, { error: (err as Error).message }))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.firstDelayMs).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
