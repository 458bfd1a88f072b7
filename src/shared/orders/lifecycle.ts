import { Prisma } from '../../generated/prisma/client';
import { OrderStatus } from '../../generated/prisma/enums';

/**
 * The order lifecycle, defined once: the status groups the rest of the code asks about, and every
 * status change a write may make, with the reason it exists. Each write to `orders` that changes
 * the status names its transition and filters on the transition's from-statuses in the same
 * statement, so a stale job, a slow replica or a console page loaded an hour ago cannot move an
 * order along an edge that is not here (the write then matches no row and changes nothing).
 * docs/architecture.md ("Order lifecycle") shows the same table; test/unit/lifecycle.test.ts
 * keeps the two equal.
 */

export const ORDER_STATUSES: readonly OrderStatus[] = Object.values(OrderStatus);

/** Past archiving: no archive job changes them again (only retention, and a staff re-queue). */
export const TERMINAL: readonly OrderStatus[] = [
  'ARCHIVED',
  'NO_RESULT',
  'EVIDENCE_MISSING',
  'FAILED',
  'EXPIRED',
  'PURGED',
];

/** Without archived evidence but could still get it: an archive job may work on these. */
export const OPEN: readonly OrderStatus[] = ['EXPECTED', 'QUEUED', 'ARCHIVING', 'EVIDENCE_PENDING'];

/** The result is known and its archive job should still run (the reconciler looks for lost jobs). */
export const UNFINISHED: readonly OrderStatus[] = ['QUEUED', 'ARCHIVING', 'EVIDENCE_PENDING'];

/** Finished, evidence (if any) still held: nothing writes it any more, so retention may purge it. */
export const FINISHED: readonly OrderStatus[] = TERMINAL.filter((s) => s !== 'PURGED');

/** Registered, no result known yet: a verified callback (even after the recovery window) queues it. */
const AWAITING_RESULT: readonly OrderStatus[] = ['EXPECTED', 'EXPIRED'];

/**
 * WeBank's query answered with a result (passed or failed) that the order keeps: its partner is
 * told `verification.passed` / `verification.failed` once the order reaches one of these.
 */
export const RESULT_RECORDED: readonly OrderStatus[] = ['ARCHIVED', 'EVIDENCE_PENDING', 'EVIDENCE_MISSING'];

/** Staff may put these back on the archive queue; a purged order has nothing left to archive. */
const REQUEUEABLE: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => s !== 'PURGED');

export interface Transition {
  /** Statuses the write may start from; empty for the inserts that create an order. */
  readonly from: readonly OrderStatus[];
  readonly to: readonly OrderStatus[];
  /** Why the lifecycle allows it. */
  readonly why: string;
}

/** Every allowed status change, by name; a write names the one it makes. */
export const TRANSITIONS = {
  registered: {
    from: [],
    to: ['EXPECTED'],
    why: "the partner's backend registered the order before the scan, so the sweeper can recover it",
  },
  verified: {
    from: [],
    to: ['QUEUED'],
    why: 'a verified callback for an order we did not know: recorded with its outbox mark',
  },
  calledBack: {
    from: AWAITING_RESULT,
    to: ['QUEUED'],
    why: "the user's browser came back with a verified result (after expiry too: it is still a result)",
  },
  conflictRequeued: {
    from: ['NO_RESULT'],
    to: ['QUEUED'],
    why: 'a verified redirect disagreed with the first one after WeBank had no result yet: its query decides, so ask again',
  },
  startFailed: {
    from: ['EXPECTED'],
    to: ['FAILED'],
    why: 'starting the verification at WeBank failed before the user got a link: nothing can come back',
  },
  recovered: {
    from: ['EXPECTED'],
    to: ['QUEUED'],
    why: 'the recovery sweeper found the result at WeBank without a callback',
  },
  expired: {
    from: ['EXPECTED'],
    to: ['EXPIRED'],
    why: "WeBank's retention window closed without a result",
  },
  archiveStarted: {
    from: OPEN,
    to: ['ARCHIVING'],
    why: 'an archive job starts (again after a retry, a stalled job, a new generation); never once terminal',
  },
  archiveOutcome: {
    from: OPEN,
    to: ['ARCHIVED', 'NO_RESULT', 'EVIDENCE_PENDING'],
    why: 'the query answered: all stored, no result (66660011), or files still missing; from any open status (a re-queue may have moved the order meanwhile), never over a terminal one',
  },
  rearchived: {
    from: ['ARCHIVED'],
    to: ['ARCHIVED'],
    why: 'a duplicate run (a stalled job taken over by another worker) records the same outcome again: its uploads overwrote the same keys, so its rows are the ones that describe S3',
  },
  attemptFailed: {
    from: OPEN,
    to: ['QUEUED', 'EVIDENCE_PENDING'],
    why: 'an attempt failed and BullMQ retries it; the order shows it is waiting',
  },
  gaveUp: {
    from: OPEN,
    to: ['FAILED', 'EVIDENCE_MISSING'],
    why: 'the last attempt failed or the retry horizon passed',
  },
  released: {
    from: ['ARCHIVING'],
    to: ['QUEUED'],
    why: 'a worker shutting down handed its job back to the queue',
  },
  reconcilerRequeued: {
    from: UNFINISHED,
    to: ['QUEUED', 'EVIDENCE_PENDING'],
    why: 'no live job: enqueued again; ARCHIVING becomes QUEUED (no job is on it), the others keep their status',
  },
  reconcilerFailed: {
    from: UNFINISHED,
    to: ['FAILED'],
    why: "the order's latest job sits in BullMQ's failed set: it failed for good",
  },
  staffRequeued: {
    from: REQUEUEABLE,
    to: ['QUEUED'],
    why: 'staff put the order back on the archive queue (e.g. after EVIDENCE_MISSING)',
  },
  staffRequeueUndone: {
    from: ['QUEUED'],
    to: REQUEUEABLE,
    why: 'Redis refused the re-queued job: the status the order had is put back',
  },
  purged: {
    from: FINISHED,
    to: ['PURGED'],
    why: 'retention deleted the evidence and personal data; a tombstone stays',
  },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof TRANSITIONS;

const NAMES = Object.keys(TRANSITIONS) as TransitionName[];

function transition(name: TransitionName): Transition {
  return TRANSITIONS[name];
}

export function isStatus(s: string): s is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(s);
}

/** True when `status` (as read, possibly from raw SQL) is one of `group`. */
export function inGroup(group: readonly OrderStatus[], status: string): boolean {
  return (group as readonly string[]).includes(status);
}

/** Whether some transition (of `among`, default all) leads from `from` to `to`. */
export function isAllowed(from: OrderStatus, to: OrderStatus, among: readonly TransitionName[] = NAMES): boolean {
  return among.some((n) => transition(n).from.includes(from) && transition(n).to.includes(to));
}

/** The statuses some transition (of `among`, default all) leads from into `to`. */
export function allowedFrom(to: OrderStatus, among: readonly TransitionName[] = NAMES): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => isAllowed(from, to, among));
}

/**
 * The status a write sets, checked against its transition: a target the transition does not lead
 * to is a programming error, thrown before anything is written.
 */
export function target(name: TransitionName, to: OrderStatus): OrderStatus {
  if (!transition(name).to.includes(to)) throw new Error(`transition ${name} does not lead to ${to}`);
  return to;
}

/**
 * `where.status` for a Prisma write making transition `name`: only from its from-statuses, and
 * when `current` is given (the status the caller read) only from that one too.
 */
export function fromStatus(name: TransitionName, current?: OrderStatus): { in: OrderStatus[]; equals?: OrderStatus } {
  const from = [...transition(name).from];
  return current === undefined ? { in: from } : { in: from, equals: current };
}

/** The same for raw SQL: `status = ANY(<from-statuses>)`, of a transition or a list from `allowedFrom`. */
export function fromStatusSql(from: TransitionName | readonly OrderStatus[]): Prisma.Sql {
  const statuses = typeof from === 'string' ? transition(from).from : from;
  return Prisma.sql`status::text = ANY(${[...statuses]}::text[])`;
}

/** A status change the lifecycle does not allow from where the order now stands; nothing was written. */
export class TransitionRefusedError extends Error {
  constructor(
    readonly orderId: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`order ${orderId}: ${from} -> ${to} is not an allowed transition; nothing written`);
    this.name = 'TransitionRefusedError';
  }
}
