/**
 * `npm run bench`: the callback path and the archiver measured against their ceilings, in one
 * run, on this machine, against real PostgreSQL, Redis, fauxqs and the WeBank simulator (all on
 * loopback). Prints a table and writes bench/results/latest.json. See docs/benchmarks.md.
 *
 *   npm run bench                       everything (about 4 minutes)
 *   npm run bench -- --smoke            tiny sizes and durations (< 60 s), for CI
 *   npm run bench -- --only callback,memory
 *   npm run bench -- --profile          also --cpu-prof the web and worker targets and summarize
 *   npm run bench -- --wait-quiet 600   first wait (up to 600 s) until the machine is idle
 *   npm run bench -- --only memory --memory-video-mb 200
 *   npm run bench -- --only callback --connections 64   load both servers with 64 connections
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { archiveSection } from './sections/archive';
import { callbackSection } from './sections/callback';
import { memorySection } from './sections/memory';
import { retrievalSection } from './sections/retrieval';
import { busyCores } from './lib/cpu';
import { describeMachine, machineLine } from './lib/machine';
import { mainThreadProfile, summarizeProfile } from './lib/profile';
import { formatMarkdown, formatTable, type SectionResult } from './lib/report';
import { Services } from './lib/services';
import { DATABASE_URL } from './lib/env';
import { migrate } from '../src/shared/platform/migrate';
import { round } from './lib/stats';

const SECTIONS = ['callback', 'archive', 'memory', 'retrieval'] as const;
type Section = (typeof SECTIONS)[number];

const KB = 1000;
/** Busier than this (cores) before the start, the machine is not quiet enough for comparable numbers. */
const QUIET_CORES = 0.25;
const MB = 1000 * 1000;

function plan(smoke: boolean) {
  return smoke
    ? {
        callback: { durationS: 1, warmupS: 1, connections: 8, pregenerate: 5000, stepIterations: 20 },
        archive: {
          levels: [1, 4, 16],
          orders: 8,
          warmup: 2,
          photoBytes: 20 * KB,
          videoBytes: 200 * KB,
          capS: 15,
          ceilingMinS: 0.5,
        },
        memory: { photoBytes: 20 * KB, videoBytes: 3 * MB, repetitions: 1 },
        retrieval: { videoBytes: 3 * MB, repetitions: 1 },
      }
    : {
        callback: { durationS: 10, warmupS: 3, connections: 16, pregenerate: 60000, stepIterations: 500 },
        archive: { levels: [1, 4, 16], orders: 80, photoBytes: 200 * KB, videoBytes: 5 * MB, capS: 90, ceilingMinS: 5 },
        memory: { photoBytes: 200 * KB, videoBytes: 50 * MB, repetitions: 3 },
        retrieval: { videoBytes: 50 * MB, repetitions: 3 },
      };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'wait-quiet': { type: 'string' },
      'memory-video-mb': { type: 'string' },
      connections: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run bench [-- --smoke] [--only callback,archive,memory,retrieval] [--profile] [--wait-quiet SECONDS] [--memory-video-mb N] [--connections N]\n',
    );
    return;
  }
  const only = (values.only ?? SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length)
    throw new Error(`--only: unknown section ${unknown.join(', ')} (choose from ${SECTIONS.join(', ')})`);
  const chosen = SECTIONS.filter((s) => only.includes(s));
  const smoke = values.smoke ?? false;
  const p = plan(smoke);
  if (values['memory-video-mb']) p.memory.videoBytes = Number(values['memory-video-mb']) * MB;
  if (values.connections) p.callback.connections = Number(values.connections);
  const resultsDir = path.join(__dirname, 'results');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profileDir = values.profile ? path.join(resultsDir, 'profiles', stamp) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const started = Date.now();
  const machine = await describeMachine();
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say(`faceid-archiver benchmarks${smoke ? ' (smoke)' : ''}: ${chosen.join(', ')}`);
  say(`machine: ${machineLine(machine)}`);
  // Other work on the machine (a test run, a build) takes cores from the processes measured.
  const waitQuietS = Number(values['wait-quiet'] ?? 0);
  let idleCheck = await busyCores(2000);
  for (
    const deadline = Date.now() + waitQuietS * 1000;
    idleCheck !== undefined && idleCheck > QUIET_CORES && Date.now() < deadline;
  ) {
    say(`  waiting for a quiet machine: ${idleCheck} cores busy before the bench started`);
    await new Promise((r) => setTimeout(r, 10_000));
    idleCheck = await busyCores(2000);
  }
  machine.loadAverage = os.loadavg().map((v) => round(v, 2));
  if (idleCheck !== undefined && idleCheck > QUIET_CORES) {
    say(
      `  WARNING: ${idleCheck} cores were busy before the bench started; other work skews every number (see "other" in the CPU notes)`,
    );
  }

  // The same migrations the service runs, so a fresh database works (as `npm run demo` does).
  await migrate(DATABASE_URL);
  const svc = new Services();
  const results: SectionResult[] = [];
  const bySection: Partial<Record<Section, SectionResult>> = {};
  const errors: { section: Section; error: string }[] = [];
  const runners: Record<Section, () => Promise<SectionResult>> = {
    callback: () => callbackSection(svc, { ...p.callback, profileDir }),
    archive: () => archiveSection(svc, { ...p.archive, profileDir }),
    memory: () => memorySection(svc, p.memory),
    retrieval: () => retrievalSection(svc, p.retrieval),
  };
  try {
    for (const section of chosen) {
      const t0 = Date.now();
      say(`\n… ${section}`);
      try {
        const r = await runners[section]();
        // Smoke sizes and durations say nothing about the targets: show the numbers, not verdicts.
        if (smoke) for (const row of r.rows) delete row.met;
        results.push(r);
        bySection[section] = r;
        say(formatTable([r]).split('\n').slice(1).join('\n'));
        say(`  (${round((Date.now() - t0) / 1000, 1)} s)`);
      } catch (err) {
        errors.push({ section, error: (err as Error).stack ?? String(err) });
        say(`  ${section} FAILED: ${(err as Error).message}`);
      }
    }
  } finally {
    await svc.close();
  }

  const seconds = round((Date.now() - started) / 1000, 1);
  say(
    `\n=== Results (${smoke ? 'smoke run: sizes and durations too small to compare with the targets' : 'full run'}, ${seconds} s) ===`,
  );
  say(`machine: ${machineLine(machine)}\n`);
  say(formatTable(results));
  const targets = results.flatMap((r) => r.targets);
  if (targets.length) {
    say('\ntargets:');
    const verdict = (met: boolean) => (smoke ? '(smoke, not judged)' : met ? 'met   ' : 'MISSED');
    for (const t of targets) say(`  ${verdict(t.met)}  ${t.name}: ${t.measured} ${t.unit} (target ${t.target})`);
  }
  if (profileDir) {
    say('\nCPU profiles (self time):');
    for (const dir of readdirSync(profileDir)) {
      const file = mainThreadProfile(path.join(profileDir, dir));
      if (file) say(summarizeProfile(file, dir));
    }
  }
  for (const e of errors) say(`\n${e.section} failed:\n${e.error}`);

  mkdirSync(resultsDir, { recursive: true });
  const json = {
    startedAt: new Date(started).toISOString(),
    seconds,
    mode: smoke ? 'smoke' : 'full',
    sections: chosen,
    machine: { ...machine, busyCoresBeforeStart: idleCheck },
    plan: p,
    targets,
    results: bySection,
    errors,
  };
  const latest = path.join(resultsDir, 'latest.json');
  writeFileSync(latest, `${JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
  writeFileSync(
    path.join(resultsDir, `${stamp}${smoke ? '-smoke' : ''}.json`),
    `${JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`,
  );
  writeFileSync(path.join(resultsDir, 'latest.md'), formatMarkdown(results, machineLine(machine)));
  say(`\nJSON: ${latest}`);
  say(`Markdown table: ${path.join(resultsDir, 'latest.md')}`);
  if (errors.length) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error((err as Error).stack ?? String(err));
    process.exit(1);
  },
);
