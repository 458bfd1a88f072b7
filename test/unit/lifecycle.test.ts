import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { OrderStatus } from '../../src/generated/prisma/enums';
import {
  allowedFrom,
  FINISHED,
  fromStatus,
  isAllowed,
  OPEN,
  ORDER_STATUSES,
  target,
  TERMINAL,
  TRANSITIONS,
  type Transition,
  type TransitionName,
  UNFINISHED,
} from '../../src/shared/orders/lifecycle';

/** The lifecycle table, written out edge by edge so that any change to it shows up here. */
const EXPECTED_EDGES: Record<TransitionName, string[]> = {
  registered: ['new→EXPECTED'],
  verified: ['new→QUEUED'],
  calledBack: ['EXPECTED→QUEUED', 'EXPIRED→QUEUED'],
  conflictRequeued: ['NO_RESULT→QUEUED'],
  recovered: ['EXPECTED→QUEUED'],
  startFailed: ['EXPECTED→FAILED'],
  expired: ['EXPECTED→EXPIRED'],
  archiveStarted: ['EXPECTED→ARCHIVING', 'QUEUED→ARCHIVING', 'ARCHIVING→ARCHIVING', 'EVIDENCE_PENDING→ARCHIVING'],
  archiveOutcome: ['EXPECTED', 'QUEUED', 'ARCHIVING', 'EVIDENCE_PENDING'].flatMap((f) =>
    ['ARCHIVED', 'NO_RESULT', 'EVIDENCE_PENDING'].map((t) => `${f}→${t}`),
  ),
  rearchived: ['ARCHIVED→ARCHIVED'],
  attemptFailed: ['EXPECTED', 'QUEUED', 'ARCHIVING', 'EVIDENCE_PENDING'].flatMap((f) =>
    ['QUEUED', 'EVIDENCE_PENDING'].map((t) => `${f}→${t}`),
  ),
  gaveUp: ['EXPECTED', 'QUEUED', 'ARCHIVING', 'EVIDENCE_PENDING'].flatMap((f) =>
    ['FAILED', 'EVIDENCE_MISSING'].map((t) => `${f}→${t}`),
  ),
  released: ['ARCHIVING→QUEUED'],
  reconcilerRequeued: ['QUEUED', 'ARCHIVING', 'EVIDENCE_PENDING'].flatMap((f) =>
    ['QUEUED', 'EVIDENCE_PENDING'].map((t) => `${f}→${t}`),
  ),
  reconcilerFailed: ['QUEUED→FAILED', 'ARCHIVING→FAILED', 'EVIDENCE_PENDING→FAILED'],
  staffRequeued: [
    'EXPECTED',
    'QUEUED',
    'ARCHIVING',
    'EVIDENCE_PENDING',
    'ARCHIVED',
    'NO_RESULT',
    'EVIDENCE_MISSING',
    'FAILED',
    'EXPIRED',
  ].map((f) => `${f}→QUEUED`),
  staffRequeueUndone: [
    'EXPECTED',
    'QUEUED',
    'ARCHIVING',
    'EVIDENCE_PENDING',
    'ARCHIVED',
    'NO_RESULT',
    'EVIDENCE_MISSING',
    'FAILED',
    'EXPIRED',
  ].map((t) => `QUEUED→${t}`),
  purged: ['ARCHIVED', 'NO_RESULT', 'EVIDENCE_MISSING', 'FAILED', 'EXPIRED'].map((f) => `${f}→PURGED`),
};

const edgesOf = (name: TransitionName) => {
  const t = TRANSITIONS[name];
  const from: readonly string[] = t.from.length ? t.from : ['new'];
  return from.flatMap((f) => t.to.map((to) => `${f}→${to}`));
};

describe('order lifecycle', () => {
  test('the table has exactly the edges written out here', () => {
    const actual = Object.fromEntries(
      (Object.keys(TRANSITIONS) as TransitionName[]).map((n) => [n, edgesOf(n).sort()]),
    );
    const expected = Object.fromEntries(Object.entries(EXPECTED_EDGES).map(([n, e]) => [n, [...e].sort()]));
    expect(actual).toEqual(expected);
  });

  test.each(
    (Object.keys(EXPECTED_EDGES) as TransitionName[]).flatMap((n) =>
      EXPECTED_EDGES[n]
        .filter((e) => !e.startsWith('new'))
        .map((e) => [n, ...(e.split('→') as [string, string])] as [TransitionName, string, string]),
    ),
  )('%s: %s → %s is allowed', (name, from, to) => {
    expect(isAllowed(from as OrderStatus, to as OrderStatus, [name])).toBe(true);
    expect(isAllowed(from as OrderStatus, to as OrderStatus)).toBe(true);
    expect(allowedFrom(to as OrderStatus)).toContain(from);
    expect(fromStatus(name).in).toContain(from);
    expect(target(name, to as OrderStatus)).toBe(to);
  });

  test.each([
    ['ARCHIVED', 'ARCHIVING', 'a stale job must not restart a finished order'],
    ['EXPIRED', 'ARCHIVED', 'an expired order has no result to record'],
    ['ARCHIVED', 'FAILED', "a stale job's failure must not overwrite a result"],
    ['ARCHIVED', 'EVIDENCE_PENDING', 'a stale poll must not reopen a finished order'],
    ['EXPIRED', 'ARCHIVING', 'an expired order has no result to archive'],
    ['PURGED', 'QUEUED', 'a purged order cannot be re-queued'],
    ['PURGED', 'ARCHIVED', 'nothing brings a purged order back'],
    ['QUEUED', 'PURGED', 'retention purges only finished orders'],
    ['ARCHIVING', 'PURGED', 'retention never purges under a running job'],
    ['ARCHIVING', 'EXPIRED', 'only a registered order expires'],
    ['NO_RESULT', 'EVIDENCE_PENDING', 'no result, no files to wait for'],
  ])('%s → %s is refused (%s)', (from, to) => {
    expect(isAllowed(from as OrderStatus, to as OrderStatus)).toBe(false);
    expect(allowedFrom(to as OrderStatus)).not.toContain(from);
  });

  test('a purged order stays purged; a terminal one moves only by staff, retention, a late or conflicting callback or a duplicate run', () => {
    for (const to of ORDER_STATUSES) expect(isAllowed('PURGED', to)).toBe(false);
    const movers = new Set<string>();
    for (const from of TERMINAL)
      for (const to of ORDER_STATUSES)
        for (const n of Object.keys(TRANSITIONS) as TransitionName[]) if (isAllowed(from, to, [n])) movers.add(n);
    expect([...movers].sort()).toEqual(['calledBack', 'conflictRequeued', 'purged', 'rearchived', 'staffRequeued']);
    expect(TERMINAL.filter((s) => isAllowed(s, 'QUEUED', ['calledBack']))).toEqual(['EXPIRED']);
  });

  test('the groups: open and terminal split the statuses; finished is terminal but purged', () => {
    expect([...OPEN, ...TERMINAL].sort()).toEqual([...ORDER_STATUSES].sort());
    expect(OPEN.filter((s) => TERMINAL.includes(s))).toEqual([]);
    expect([...FINISHED, 'PURGED'].sort()).toEqual([...TERMINAL].sort());
    expect(UNFINISHED.every((s) => OPEN.includes(s) && s !== 'EXPECTED')).toBe(true);
  });

  test('every status can be reached', () => {
    const table: Record<string, Transition> = TRANSITIONS;
    for (const s of ORDER_STATUSES) expect(Object.values(table).some((t) => t.to.includes(s))).toBe(true);
  });

  test('a write naming the wrong target is stopped before it is written', () => {
    expect(() => target('purged', 'QUEUED')).toThrow(/does not lead to QUEUED/);
    expect(fromStatus('purged', 'ARCHIVED')).toEqual({ in: [...FINISHED], equals: 'ARCHIVED' });
  });

  test('docs/architecture.md shows the same table', () => {
    const doc = readFileSync(path.join(__dirname, '../../docs/architecture.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Order lifecycle'));
    expect(section.length).toBeGreaterThan(20);
    const rows: Record<string, { from: string; to: string }> = Object.fromEntries(
      [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => [
        m[1],
        { from: m[2]!.trim(), to: m[3]!.trim() },
      ]),
    );
    const shown = (list: readonly string[]) => (list.length ? list.join(', ') : '(new)');
    const groups: Record<string, readonly string[]> = { OPEN, UNFINISHED, FINISHED };
    const expand = (cell: string) =>
      cell === '(new)'
        ? '(new)'
        : shown(
            cell
              .split(',')
              .map((c) => c.trim())
              .flatMap((c) =>
                c === 'any but PURGED' ? ORDER_STATUSES.filter((s) => s !== 'PURGED') : (groups[c] ?? [c]),
              ),
          );
    const inDoc = Object.fromEntries(
      Object.entries(rows).map(([n, r]) => [n, { from: expand(r.from), to: expand(r.to) }]),
    );
    const inCode = Object.fromEntries(
      Object.entries(TRANSITIONS).map(([n, t]) => [n, { from: shown(t.from), to: shown(t.to) }]),
    );
    expect(inDoc).toEqual(inCode);
  });
});
