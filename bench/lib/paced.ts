import http from 'node:http';

export interface PacedResult {
  rate: number;
  achievedRate: number;
  sent: number;
  completed: number;
  errors: number;
  statusCodes: Record<string, number>;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the generator itself sent requests (its own pauses count as latency): p99 and max, ms. */
  sendLagP99: number;
  sendLagMax: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pick(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * An open-loop load at a steady rate: request i is due at start + i/rate, whatever happened to
 * the ones before, and its latency counts from when it was due (not from when it went out), so a
 * stall in the service cannot hide queued requests (no coordinated omission). autocannon's
 * `overallRate` instead lets each connection send its per-second quota back to back at the start
 * of every second, which measures bursts at full concurrency rather than a steady half load.
 */
export async function pacedLoad(
  baseUrl: string,
  o: { rate: number; durationS: number; nextPath: () => string; maxSockets?: number },
): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 256 });
  const total = Math.max(1, Math.round(o.rate * o.durationS));
  const interval = 1000 / o.rate;
  const latencies: number[] = [];
  const sendLags: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const fire = (due: number) =>
    new Promise<void>((resolve) => {
      sendLags.push(performance.now() - due);
      const req = http.get(`${baseUrl}${o.nextPath()}`, { agent }, (res) => {
        res.resume();
        res.once('end', () => {
          latencies.push(performance.now() - due);
          statusCodes[String(res.statusCode)] = (statusCodes[String(res.statusCode)] ?? 0) + 1;
          resolve();
        });
        res.once('error', () => {
          errors++;
          resolve();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.once('error', () => {
        errors++;
        resolve();
      });
    });
  const t0 = performance.now() + 5;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Send everything that is due (timers fire late by a millisecond or so), then sleep until the next.
    while (sent < total && t0 + sent * interval <= now) {
      inFlight.push(fire(t0 + sent * interval));
      sent++;
    }
    if (sent < total) await sleep(Math.max(0, t0 + sent * interval - performance.now()));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  sendLags.sort((a, b) => a - b);
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return {
    rate: o.rate,
    achievedRate: r1(latencies.length / elapsed),
    sent,
    completed: latencies.length,
    errors,
    statusCodes,
    p50: r1(pick(latencies, 0.5)),
    p90: r1(pick(latencies, 0.9)),
    p99: r1(pick(latencies, 0.99)),
    max: r1(latencies[latencies.length - 1] ?? NaN),
    sendLagP99: r1(pick(sendLags, 0.99)),
    sendLagMax: r1(sendLags[sendLags.length - 1] ?? NaN),
  };
}
