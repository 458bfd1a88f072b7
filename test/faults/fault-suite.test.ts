import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runChecks, undelivered, unsettled, webhookChecks, type CheckRow } from './support/checks';
import { makePlan } from './support/plan';
import { profileFromEnv } from './support/profile';
import { seedFromEnv } from './support/prng';
import { indexOrders, runScenario } from './support/scenario';
import { planSummary, runSummary } from './support/summary';
import { World } from './support/world';

// The fault suite (docs/faults.md). Under `npm test` it runs the bounded `ci` profile; `npm run
// test:faults` runs the full one (500 + 100). FAULT_SEED replays a run exactly as planned.
const profile = profileFromEnv();
const seed = seedFromEnv();
const say = (s: string) => process.stdout.write(`${s}\n`);

const topology = process.env.FAULT_REDIS === 'cluster' ? ', Redis Cluster' : '';

describe(`fault suite (${profile.name} profile${topology}, FAULT_SEED=${seed})`, () => {
  let world: World | undefined;
  const startedAt = Date.now();

  beforeAll(async () => {
    say(`[faults] FAULT_SEED=${seed} (set FAULT_SEED=${seed} to replay this run)`);
    world = new World(profile, seed);
    await world.start();
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    // Every process the run started stopped when asked (web, workers, redis-server; fauxqs stops itself).
    expect(world?.leftover ?? []).toEqual([]);
  }, 60_000);

  test(
    'when Redis, workers, S3, WeBank, PostgreSQL and the partner webhook endpoint fail at seeded moments, then no verified ' +
      'callback is lost, no evidence is wrong, every forgery is refused, no webhook event is lost, and no secret reaches a log',
    async () => {
      const w = world!;
      const timings: Record<string, number> = { 'startup (processes ready)': Date.now() - startedAt };
      const plan = makePlan(seed, profile);
      indexOrders(w, plan);
      say(planSummary(plan, profile, w.runId));

      const t0 = Date.now();
      // The partner's receiver is away for the middle third of the window: its deliveries back off.
      const outage = [
        setTimeout(() => void w.receiver.stop(), profile.windowMs / 3),
        setTimeout(() => void w.receiver.start(), (2 * profile.windowMs) / 3),
      ];
      const sc = await runScenario(w, plan);
      outage.forEach(clearTimeout);
      await w.receiver.start().catch(() => undefined);
      timings['callbacks and faults'] = Date.now() - t0;

      // Bounded settle: every order must reach a final state within settleMs of the last fault.
      const t1 = Date.now();
      while (Date.now() - t1 < profile.settleMs && (await unsettled(w)) > 0) await sleep(500);
      timings['settle'] = Date.now() - t1;
      // Then the webhooks: every event fanned out and delivered (bounded like the orders).
      const t3 = Date.now();
      while (Date.now() - t3 < profile.settleMs && (await undelivered(w)) > 0) await sleep(500);
      timings['webhook settle'] = Date.now() - t3;

      const t2 = Date.now();
      const { rows, stats } = await runChecks(w, plan, sc);
      rows.push(...(await webhookChecks(w)));
      timings['checks'] = Date.now() - t2;
      timings['total so far'] = Date.now() - startedAt;

      const report = runSummary(profile, sc, rows, stats, timings);
      say(report);
      mkdirSync(w.artifacts, { recursive: true });
      writeFileSync(path.join(w.artifacts, 'summary.txt'), `${planSummary(plan, profile, w.runId)}\n${report}`);
      say(`[faults] logs and summary in ${path.relative(process.cwd(), w.artifacts)}`);

      const failed: Pick<CheckRow, 'check' | 'details'>[] = rows
        .filter((r) => !r.ok)
        .map(({ check, details }) => ({ check, details }));
      expect(failed).toEqual([]);
    },
    profile.windowMs + profile.settleMs + 180_000,
  );
});
