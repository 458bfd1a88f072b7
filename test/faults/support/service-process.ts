import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reaper } from './reaper';

const ROOT = path.resolve(__dirname, '../../..');

/** One line a service process wrote, with where it came from. */
export interface LogLine {
  process: string;
  stream: 'stdout' | 'stderr';
  incarnation: number;
  text: string;
}

export interface ServiceSpec {
  /** `web`, `worker-1`... */
  name: string;
  /** Entry point relative to the repository, e.g. src/web/server.ts. */
  entry: string;
  env: Record<string, string>;
  /** An HTTP URL answering 200 once the process is up (the web's or worker's /healthz, /readyz). */
  readyUrl: string;
}

/**
 * A service entry point (src/web/server.ts, src/workers/main.ts) run as a real child process
 * through tsx, as `npm run dev:web` does, with its own environment. Every line it writes to
 * stdout/stderr is kept (and copied to a file under test-artifacts/) for the PII scan. It can be
 * SIGKILLed at any moment and started again with the same environment.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  private dying?: ChildProcess;
  private starting?: Promise<void>;
  private incarnation = 0;
  private readonly file: WriteStream;
  readonly lines: LogLine[];
  /** When each incarnation started and how it ended; `unexpected` when nobody here asked it to stop. */
  readonly history: { incarnation: number; pid: number; startedAt: number; exit?: string; unexpected?: boolean }[] = [];
  /** Like a process manager: a process that exits on its own is started again after a second. */
  supervise = true;
  private closing = false;
  private readonly stopping = new Set<ChildProcess>();

  constructor(
    readonly spec: ServiceSpec,
    private readonly reaper: Reaper,
    artifactsDir: string,
    sink: LogLine[],
  ) {
    mkdirSync(artifactsDir, { recursive: true });
    this.file = createWriteStream(path.join(artifactsDir, `${spec.name}.log`), { flags: 'a' });
    this.lines = sink;
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get incarnations(): number {
    return this.incarnation;
  }

  /** Starts the process; resolves once `readyUrl` answers 200 (or rejects after `timeoutMs`). */
  async start(timeoutMs = 60_000): Promise<void> {
    this.starting ??= this.spawnAndWait(timeoutMs).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawnAndWait(timeoutMs: number): Promise<void> {
    if (this.alive) return;
    await this.waitExit();
    const incarnation = ++this.incarnation;
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.entry], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TMPDIR: process.env.TMPDIR ?? '/tmp',
        ...this.spec.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.reaper.add(child);
    const entry: (typeof this.history)[number] = { incarnation, pid: child.pid ?? 0, startedAt: Date.now() };
    this.history.push(entry);
    child.once('exit', (code, signal) => {
      entry.exit = signal ?? `code ${code}`;
      if (this.stopping.has(child)) return;
      entry.unexpected = true;
      if (this.supervise && !this.closing && this.child === child) {
        setTimeout(() => void this.start().catch(() => undefined), 1000).unref();
      }
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const rl = createInterface({ input: child[stream] });
      rl.on('line', (text) => {
        this.lines.push({ process: this.spec.name, stream, incarnation, text });
        this.file.write(`${stream === 'stderr' ? '[stderr] ' : ''}${text}\n`);
      });
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive || this.child !== child) {
        throw new Error(`${this.spec.name} exited during startup (${entry.exit}); last lines:\n${this.tail(10)}`);
      }
      const ok = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline)
        throw new Error(`${this.spec.name} not ready within ${timeoutMs} ms; last lines:\n${this.tail(10)}`);
      await sleep(150);
    }
  }

  /** SIGKILL, no goodbye: whatever the process was doing is cut where it stands. Synchronous on purpose. */
  kill(): boolean {
    const child = this.child;
    if (!child || !this.alive) return false;
    this.child = undefined;
    this.dying = child;
    this.stopping.add(child);
    return child.kill('SIGKILL');
  }

  /** SIGTERM (graceful shutdown), then SIGKILL after `graceMs`. */
  async stop(graceMs = 8000): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.stopping.add(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Resolves once the last killed (or running) incarnation has exited. */
  async waitExit(): Promise<void> {
    const child = this.dying ?? this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  }

  /** Exits nobody here asked for (crashes), with the last lines the process wrote before each. */
  crashes(): { incarnation: number; exit: string; tail: string[] }[] {
    return this.history
      .filter((h) => h.unexpected)
      .map((h) => ({
        incarnation: h.incarnation,
        exit: h.exit ?? '?',
        tail: this.lines
          .filter((l) => l.process === this.spec.name && l.incarnation === h.incarnation)
          .slice(-25)
          .map((l) => l.text),
      }));
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.starting?.catch(() => undefined);
    await this.stop();
    await new Promise<void>((resolve) => this.file.end(() => resolve()));
  }

  private tail(n: number): string {
    return this.lines
      .filter((l) => l.process === this.spec.name)
      .slice(-n)
      .map((l) => l.text)
      .join('\n');
  }
}
