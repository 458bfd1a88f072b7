import { createHash } from 'node:crypto';
import type { Db } from '../../platform/db';
import { open, seal } from '../../platform/sealed';
import type { TicketCandidate } from '../signature';

/** No valid SIGN ticket is held for an app: queries cannot be signed, callbacks cannot be verified. */
export class NoValidTicketError extends Error {
  constructor(readonly appId: string) {
    super(`no valid SIGN ticket for app ${appId}`);
    this.name = 'NoValidTicketError';
  }
}

/** An access_token we hold: `obtainedAt` is that of its refresh (the tickets row). Secret. */
export interface HeldToken {
  value: string;
  obtainedAt: Date;
  validUntil: Date;
}

export interface StoredTicket {
  value: string;
  obtainedAt: Date;
  validUntil: Date;
  supersededAt: Date | null;
}

/**
 * The ticket history in PostgreSQL: the source of truth shared by every replica.
 * Values are sealed at rest with the data key.
 */
export class TicketStore {
  constructor(
    readonly db: Db,
    private readonly key: Buffer,
  ) {}

  /**
   * Records a newly obtained ticket as current and marks the previous ones superseded now; the
   * access_token that fetched it is kept beside it, sealed, for NONCE tickets (`currentToken`).
   */
  async save(
    appId: string,
    value: string,
    expireInSeconds: number,
    obtainedAt = new Date(),
    token?: { value: string; validUntil: Date },
  ): Promise<StoredTicket> {
    const validUntil = new Date(obtainedAt.getTime() + expireInSeconds * 1000);
    const valueHash = createHash('sha256').update(value).digest('hex');
    const tokenData = token ? { tokenSealed: seal(token.value, this.key), tokenValidUntil: token.validUntil } : {};
    await this.db.$transaction([
      this.db.ticket.updateMany({ where: { appId, supersededAt: null }, data: { supersededAt: obtainedAt } }),
      this.db.ticket.create({
        data: { appId, valueSealed: seal(value, this.key), valueHash, obtainedAt, validUntil, ...tokenData },
      }),
    ]);
    return { value, obtainedAt, validUntil, supersededAt: null };
  }

  /** The newest ticket for the app if it is still valid at `at`. */
  async current(appId: string, at = new Date()): Promise<StoredTicket | undefined> {
    const row = await this.db.ticket.findFirst({ where: { appId }, orderBy: { obtainedAt: 'desc' } });
    if (!row || row.validUntil <= at) return undefined;
    const value = this.tryOpen(row.valueSealed);
    if (value === undefined) return undefined;
    return { value, obtainedAt: row.obtainedAt, validUntil: row.validUntil, supersededAt: row.supersededAt };
  }

  /**
   * The access_token of the newest refresh if it is still valid at `at`: only ours, only the
   * newest (an older one dies a minute after the next is issued), never fetched from here.
   */
  async currentToken(appId: string, at = new Date()): Promise<HeldToken | undefined> {
    const row = await this.db.ticket.findFirst({ where: { appId }, orderBy: { obtainedAt: 'desc' } });
    if (!row?.tokenSealed || !row.tokenValidUntil || row.tokenValidUntil <= at) return undefined;
    const value = this.tryOpen(row.tokenSealed);
    if (value === undefined) return undefined;
    return { value, obtainedAt: row.obtainedAt, validUntil: row.tokenValidUntil };
  }

  /**
   * Tickets that could have signed something at `at`: the current one plus those superseded
   * less than `graceSeconds` before it (WeBank keeps the old ticket valid about a minute).
   * Newest first, labelled `current` / `previous-N` for the callback record.
   */
  async validAround(appId: string, at: Date, graceSeconds: number): Promise<TicketCandidate[]> {
    const since = new Date(at.getTime() - graceSeconds * 1000);
    const rows = await this.db.ticket.findMany({
      where: {
        appId,
        obtainedAt: { lte: new Date(at.getTime() + 5000) },
        validUntil: { gt: since },
        OR: [{ supersededAt: null }, { supersededAt: { gt: since } }],
      },
      orderBy: { obtainedAt: 'desc' },
      take: 10,
    });
    // WeBank may hand back the ticket we already hold (same period): one candidate per value.
    const seen = new Set<string>();
    const out: TicketCandidate[] = [];
    for (const [i, r] of rows.entries()) {
      if (seen.has(r.valueHash) || out.length >= 5) continue;
      const value = this.tryOpen(r.valueSealed);
      if (value === undefined) continue;
      seen.add(r.valueHash);
      out.push({ value, label: i === 0 && !r.supersededAt ? 'current' : `previous-${out.length}` });
    }
    return out;
  }

  /**
   * Opens a sealed value, or undefined when it was sealed with another key: after a change of
   * DATA_ENCRYPTION_KEY the old tickets are simply unusable, the keeper obtains a new one at once.
   */
  private tryOpen(sealed: string): string | undefined {
    try {
      return open(sealed, this.key);
    } catch {
      return undefined;
    }
  }
}
