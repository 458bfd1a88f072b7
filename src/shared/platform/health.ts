import { Router } from 'express';

export interface Check {
  name: string;
  run: () => Promise<unknown>;
  /**
   * Reported but not deciding readiness: a warning for operators (a credential conflict) that
   * taking the replica out of the load balancer would only make worse.
   */
  advisory?: boolean;
}

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
  advisory?: true;
}

const TIMEOUT_MS = 2000;

/** Runs every check at once, each bounded by a timeout so one dead dependency cannot hang the probe. */
export async function runChecks(checks: readonly Check[]) {
  const results = await Promise.all(
    checks.map(async (c): Promise<[string, CheckResult]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.run(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), TIMEOUT_MS);
          }),
        ]);
        return [c.name, { ok: true, latencyMs: Math.round(performance.now() - started), ...advisory(c) }];
      } catch (err) {
        return [
          c.name,
          {
            ok: false,
            latencyMs: Math.round(performance.now() - started),
            error: (err as Error).message.split('\n')[0]?.slice(0, 200),
            ...advisory(c),
          },
        ];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checksOut = Object.fromEntries(results);
  const ready = results.every(([, r]) => r.ok || r.advisory);
  const warnings = results.filter(([, r]) => !r.ok && r.advisory).map(([name]) => name);
  return { status: ready ? 'ready' : 'unavailable', checks: checksOut, ...(warnings.length ? { warnings } : {}) };
}

const advisory = (c: Check): { advisory?: true } => (c.advisory ? { advisory: true } : {});

/**
 * `/healthz` for a public port: the process answers, and nothing more (no uptime, no names).
 * `/readyz` and the metrics say which dependencies fail and why: they belong on an internal port.
 */
export function livenessRouter(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  return router;
}

/** `/healthz` (the process answers) and `/readyz` (its dependencies answer), JSON; for internal ports only. */
export function healthRouter(checks: readonly Check[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await runChecks(checks);
    res
      .status(report.status === 'ready' ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(report);
  });
  return router;
}
