/**
 * The target side of the bench's IPC channel: report `ready` (and results), close cleanly on
 * `stop` (so `--cpu-prof` writes its profile), and exit when the bench goes away.
 */
export interface Message {
  type: string;
  [key: string]: unknown;
}

export function send(msg: Message): void {
  process.send?.(msg);
}

/** Runs `close` and exits on `stop`, SIGTERM or a lost parent. */
export function onStop(close: () => Promise<unknown>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 10_000);
    force.unref();
    close()
      .catch(() => undefined)
      .finally(() => {
        process.disconnect?.();
        process.exit(0);
      });
  };
  process.on('message', (m: Message) => {
    if (m?.type === 'stop') stop();
  });
  process.once('disconnect', stop);
  process.once('SIGTERM', stop);
}

/** Listens for one message type (e.g. `run`) and answers each with the handler's result. */
export function onMessage(type: string, handler: (m: Message) => Promise<Message>): void {
  process.on('message', (m: Message) => {
    if (m?.type !== type) return;
    handler(m).then(send, (err: unknown) => send({ type: 'error', message: (err as Error).stack ?? String(err) }));
  });
}

/** Starts a target's main function, reporting a startup failure to the bench. */
export function run(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
    setTimeout(() => process.exit(1), 100);
  });
}
