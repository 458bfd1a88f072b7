/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so replicas that
 * failed together spread out while a retry never comes sooner than half the step.
 * `attempt` counts from 1 (the first retry).
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** A sleep whose timer does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
