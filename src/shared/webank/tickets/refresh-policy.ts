import type { HeldTicket } from './ticket-cache';

/** Why a refresh is being considered, and what would make it unnecessary. */
export interface RefreshWant {
  /** false: the schedule (refresh when due); true: on demand (refresh even if not due). */
  force: boolean;
  requestedAt: Date;
  reason: string;
  /** The ticket WeBank just refused: a forced refresh is needed only while it is still current. */
  rejected?: string;
}

export interface RefreshPolicyOptions {
  refreshIntervalMs: number;
  safetyMarginMs: number;
  minForcedGapMs: number;
}

/**
 * When a ticket needs replacing. Pure time arithmetic on expire_in-derived dates, kept apart from
 * the keeper's locking and I/O so the rules read in one place.
 */
export class RefreshPolicy {
  constructor(private readonly o: RefreshPolicyOptions) {}

  /**
   * When a ticket is due: the refresh interval after it was obtained, or the safety margin before
   * it expires, whichever is first. The margin is capped at half the ticket's life so a short-lived
   * ticket (simulator, odd WeBank answer) does not make the keeper refresh in a loop.
   */
  dueAt(held: HeldTicket): number {
    const obtained = held.obtainedAt.getTime();
    const until = held.validUntil.getTime();
    const margin = Math.min(this.o.safetyMarginMs, (until - obtained) / 2);
    return Math.min(obtained + this.o.refreshIntervalMs, until - margin);
  }

  /**
   * Whether `held` already meets the want: valid and not due (schedule); or, when forced, replaced
   * since the request (by any replica), different from the refused ticket, or younger than the
   * minimum gap (a burst of refusals signed with the old ticket must not refresh again and again).
   */
  satisfies(held: HeldTicket | undefined, want: RefreshWant, now = Date.now()): boolean {
    if (!held || held.validUntil.getTime() <= now) return false;
    if (!want.force) return now < this.dueAt(held);
    if (want.rejected !== undefined) return held.value !== want.rejected;
    return held.obtainedAt >= want.requestedAt || now - held.obtainedAt.getTime() < this.o.minForcedGapMs;
  }

  /**
   * Delay until the next scheduled check of a ticket: when it is due, plus a little jitter so
   * replicas do not all wake at once (never more than a quarter of the time between due and
   * expiry), and at least once per refresh interval.
   */
  nextCheckDelay(held: HeldTicket, now = Date.now(), random = Math.random): number {
    const due = this.dueAt(held);
    const jitter = random() * Math.min(1000, this.o.refreshIntervalMs / 100, (held.validUntil.getTime() - due) / 4);
    return Math.max(0, Math.min(due - now + jitter, this.o.refreshIntervalMs));
  }
}
