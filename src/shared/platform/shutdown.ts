import type { Server } from 'node:http';
import { componentLogger } from './logger';

const log = componentLogger('lifecycle');

/**
 * Runs `close` steps in order on SIGTERM/SIGINT, bounded by `timeoutMs`; a second signal
 * or the timeout forces exit. Steps should stop intake first, then drain, then close clients.
 */
export function onShutdown(steps: { name: string; close: () => Promise<unknown> }[], timeoutMs: number): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down', { signal });
    const timer = setTimeout(() => {
      log.error('shutdown timed out, exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    for (const step of steps) {
      try {
        await step.close();
      } catch (err) {
        log.warn('shutdown step failed', { step: step.name, error: (err as Error).message });
      }
    }
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * Closes an HTTP server: stop accepting, let in-flight requests finish, drop idle keep-alives.
 * `server.close()` alone leaves a keep-alive connection that was busy at that moment open (and
 * serving further requests) until its keep-alive timeout; so responses from now on say
 * `Connection: close`, and connections are closed as soon as they go idle.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.on('request', (_req, res) => {
      if (!res.headersSent) res.shouldKeepAlive = false;
    });
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
