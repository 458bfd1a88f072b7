import type { TicketCandidate } from '../signature';
import { TicketMemo } from './ticket-memo';
import type { TicketStore } from './ticket-store';

export interface CandidateSource {
  validAround(appId: string, at: Date, graceSeconds: number, opts?: { fresh?: boolean }): Promise<TicketCandidate[]>;
}

/**
 * The tickets a callback may be signed with, read from PostgreSQL at most once per `ttlMs` per
 * app and shared by the requests in between (one query, not one per callback). The cost of the
 * short staleness is bounded: a rotation is caught by the caller's `fresh` re-read when a
 * signature matches nothing cached, and a superseded ticket outlives its grace period by at
 * most `ttlMs`. Empty answers and failures are never cached.
 */
export class TicketCandidateCache implements CandidateSource {
  private readonly memo: TicketMemo<TicketCandidate[]>;

  constructor(
    private readonly store: Pick<TicketStore, 'validAround'>,
    ttlMs = 1000,
  ) {
    this.memo = new TicketMemo(ttlMs, (list) => list.length > 0);
  }

  validAround(
    appId: string,
    at: Date,
    graceSeconds: number,
    opts: { fresh?: boolean } = {},
  ): Promise<TicketCandidate[]> {
    // Only "around now" is cached; a question about another moment goes to the store.
    if (Math.abs(at.getTime() - Date.now()) > 100) return this.store.validAround(appId, at, graceSeconds);
    return this.memo.get(
      `${appId}\u0000${graceSeconds}`,
      () => this.store.validAround(appId, at, graceSeconds),
      opts.fresh,
    );
  }
}
