import type { TicketCandidate } from '../webank/signature';
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
  private readonly entries = new Map<string, { readAt: number; candidates: Promise<TicketCandidate[]> }>();

  constructor(
    private readonly store: Pick<TicketStore, 'validAround'>,
    private readonly ttlMs = 1000,
  ) {}

  validAround(appId: string, at: Date, graceSeconds: number, opts: { fresh?: boolean } = {}): Promise<TicketCandidate[]> {
    const now = Date.now();
    // Only "around now" is cached; a question about another moment goes to the store.
    if (Math.abs(at.getTime() - now) > 100) return this.store.validAround(appId, at, graceSeconds);
    const key = `${appId}\u0000${graceSeconds}`;
    const hit = this.entries.get(key);
    if (!opts.fresh && hit && now - hit.readAt < this.ttlMs) return hit.candidates;
    const candidates = this.store.validAround(appId, at, graceSeconds);
    const entry = { readAt: now, candidates };
    this.entries.set(key, entry);
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    candidates.then((list) => list.length === 0 && forget(), forget);
    return candidates;
  }
}
