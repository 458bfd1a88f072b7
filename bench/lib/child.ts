import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Messages a target sends to the bench over IPC (see targets/ipc.ts). */
export interface TargetMessage {
  type: string;
  [key: string]: unknown;
}

export interface Target {
  name: string;
  /** The node process itself (spawned directly with `--import tsx`, no wrapper). */
  pid: number;
  /** What the target sent with `ready` (its URL, port, ...). */
  info: TargetMessage;
  /** Resolves with the next message of this type. */
  next(type: string, timeoutMs?: number): Promise<TargetMessage>;
  send(msg: TargetMessage): void;
  /** The last output lines, for error reports. */
  output(): string;
  /** Asks the target to close cleanly (so --cpu-prof profiles get written), then signals it. */
  stop(): Promise<void>;
}

export interface StartOptions {
  env: Record<string, string | undefined>;
  /** Extra node flags, e.g. ['--expose-gc'] or ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeFlags?: string[];
  args?: string[];
  readyTimeoutMs?: number;
}

const ROOT = path.resolve(__dirname, '../..');
const KEEP_OUTPUT = 64 * 1024;
const live = new Set<ChildProcess>();

/** Ends the bench's own children if the bench dies (they also exit when the IPC channel closes). */
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * Starts `bench/targets/<file>` in its own node process with an IPC channel and waits for its
 * `ready` message. Output is kept (bounded) rather than printed, and shown if the target fails.
 */
export async function startTarget(name: string, file: string, opts: StartOptions): Promise<Target> {
  const script = path.join(ROOT, 'bench', 'targets', file);
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', script, ...(opts.args ?? [])], {
    cwd: ROOT,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > KEEP_OUTPUT * 2) out = out.slice(-KEEP_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const waiting: {
    type: string;
    resolve: (m: TargetMessage) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
  }[] = [];
  const inbox: TargetMessage[] = [];
  const describeExit = (code: number | null, signal: string | null) =>
    new Error(`${name} exited (${signal ?? `code ${code}`}) — last output:\n${out.slice(-4000)}`);
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      exited = describeExit(code, signal);
      for (const w of waiting.splice(0)) {
        clearTimeout(w.timer);
        w.reject(exited);
      }
      resolve();
    });
  });
  child.on('message', (raw) => {
    const msg = raw as TargetMessage;
    if (msg.type === 'error') {
      const err = new Error(`${name} failed: ${String(msg.message)}\n${out.slice(-4000)}`);
      for (const w of waiting.splice(0)) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      return;
    }
    const i = waiting.findIndex((w) => w.type === msg.type);
    if (i >= 0) {
      const [w] = waiting.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(msg);
    } else inbox.push(msg);
  });
  const next = (type: string, timeoutMs = 120_000) =>
    new Promise<TargetMessage>((resolve, reject) => {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return resolve(inbox.splice(i, 1)[0]!);
      if (exited) return reject(exited);
      const timer = setTimeout(() => {
        const j = waiting.findIndex((w) => w.timer === timer);
        if (j >= 0) waiting.splice(j, 1);
        reject(new Error(`${name}: no '${type}' message within ${timeoutMs} ms — last output:\n${out.slice(-4000)}`));
      }, timeoutMs);
      waiting.push({ type, resolve, reject, timer });
    });
  let info: TargetMessage;
  try {
    info = await next('ready', opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    name,
    pid: child.pid!,
    info,
    next,
    send: (msg) => void child.send(msg),
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGTERM'), 15_000);
      const hard = setTimeout(() => child.kill('SIGKILL'), 25_000);
      await exit;
      clearTimeout(timer);
      clearTimeout(hard);
    },
  };
}
