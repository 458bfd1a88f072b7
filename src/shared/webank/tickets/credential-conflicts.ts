import { createHash } from 'node:crypto';
import type { Config } from '../../platform/config';
import type { Db } from '../../platform/db';
import type { Check } from '../../platform/health';
import { componentLogger, type Logger } from '../../platform/logger';
import type { Metrics } from '../../platform/metrics';

/**
 * Detects another system refreshing tokens for the same WBappid. WeBank keeps an access_token
 * (and the tickets it fetched) only a minute after a newer one is issued, so when WeBank refuses
 * a ticket or token that we obtained recently, that we still hold as valid and that we have not
 * replaced ourselves, somebody else asked WeBank for a new token. One such refusal can be chance;
 * more than CREDENTIAL_CONFLICT_MAX_PER_HOUR an hour is a second credential owner (docs/tickets.md).
 * Each refresh of ours counts once however many calls it failed.
 */

/** How long after we replace a ticket ourselves a refusal is still no surprise (WeBank's overlap is 60 s). */
const OWN_ROTATION_SLACK_MS = 30_000;

export type ConflictSource = 'query' | 'start';

export interface ConflictReport {
  appId: string;
  /** Refreshes of ours refused in the last hour. */
  lastHour: number;
  threshold: number;
  /** More than `threshold` in the last hour: another system is refreshing this app's token. */
  suspected: boolean;
  lastDetectedAt: Date | null;
}

interface RefreshRow {
  obtainedAt: Date;
  validUntil: Date;
  supersededAt: Date | null;
  tokenValidUntil: Date | null;
}

export class CredentialConflicts {
  private readonly log: Logger;

  constructor(
    private readonly db: Db,
    private readonly opts: { windowMs: number; maxPerHour: number },
    logger?: Logger,
  ) {
    this.log = logger ?? componentLogger('tickets');
  }

  static fromConfig(db: Db, cfg: Config, logger?: Logger): CredentialConflicts {
    return new CredentialConflicts(
      db,
      { windowMs: cfg.CREDENTIAL_CONFLICT_WINDOW_MINUTES * 60_000, maxPerHour: cfg.CREDENTIAL_CONFLICT_MAX_PER_HOUR },
      logger,
    );
  }

  /** WeBank refused a query or upload signed with this SIGN ticket value. True when it counts as a conflict. */
  async ticketRefused(appId: string, ticket: string, source: ConflictSource, code: string, at = new Date()) {
    const valueHash = createHash('sha256').update(ticket).digest('hex');
    const row = await this.db.ticket.findFirst({ where: { appId, valueHash }, orderBy: { obtainedAt: 'desc' } });
    return row ? this.judge(appId, row, row.validUntil, source, code, at) : false;
  }

  /** WeBank refused the access_token of our refresh at `refreshObtainedAt` (NONCE ticket). */
  async tokenRefused(appId: string, refreshObtainedAt: Date, source: ConflictSource, code: string, at = new Date()) {
    const row = await this.db.ticket.findFirst({ where: { appId, obtainedAt: refreshObtainedAt } });
    return row?.tokenValidUntil ? this.judge(appId, row, row.tokenValidUntil, source, code, at) : false;
  }

  /** Per app: conflicts in the hour before `at`, and whether they pass the threshold. */
  async report(appIds: readonly string[], at = new Date()): Promise<ConflictReport[]> {
    const since = new Date(at.getTime() - 3600_000);
    const rows = await this.db.credentialConflict.groupBy({
      by: ['appId'],
      where: { appId: { in: [...appIds] }, detectedAt: { gt: since, lte: at } },
      _count: { _all: true },
      _max: { detectedAt: true },
    });
    return appIds.map((appId) => {
      const r = rows.find((x) => x.appId === appId);
      const lastHour = r?._count._all ?? 0;
      return {
        appId,
        lastHour,
        threshold: this.opts.maxPerHour,
        suspected: lastHour > this.opts.maxPerHour,
        lastDetectedAt: r?._max.detectedAt ?? null,
      };
    });
  }

  private async judge(
    appId: string,
    row: RefreshRow,
    validUntil: Date,
    source: ConflictSource,
    code: string,
    at: Date,
  ): Promise<boolean> {
    const ageMs = at.getTime() - row.obtainedAt.getTime();
    const replacedByUs = row.supersededAt !== null && at.getTime() - row.supersededAt.getTime() > OWN_ROTATION_SLACK_MS;
    if (validUntil <= at || replacedByUs || ageMs < 0 || ageMs > this.opts.windowMs) return false;
    const { count } = await this.db.credentialConflict.createMany({
      data: [{ appId, refreshObtainedAt: row.obtainedAt, detectedAt: at, source, code: code.slice(0, 16) }],
      skipDuplicates: true,
    });
    if (count > 0) {
      this.log.warn(
        'WeBank refused credentials we obtained recently: another system may be refreshing tokens for this WBappid',
        { appId, source, code, ageSeconds: Math.round(ageMs / 1000) },
      );
    }
    return true;
  }
}

/**
 * The `/readyz` check: advisory (the replica stays ready, since pulling it would lose callbacks)
 * and failing, with a message naming the apps, while another system seems to refresh their tokens.
 */
export function credentialConflictCheck(conflicts: CredentialConflicts, appIds: readonly string[]): Check {
  return {
    name: 'credential_conflict',
    advisory: true,
    run: async () => {
      const suspected = (await conflicts.report(appIds)).filter((r) => r.suspected);
      if (suspected.length === 0) return;
      const list = suspected.map((r) => `${r.appId} (${r.lastHour} in the last hour)`).join(', ');
      throw new Error(
        `WeBank refused credentials we had just obtained for ${list}: another system is refreshing tokens for the same WBappid (docs/tickets.md)`,
      );
    },
  };
}

/** Sets the conflict gauges from a fresh report (at scrape time: any replica may have recorded one). */
export async function sampleConflictMetrics(
  conflicts: CredentialConflicts,
  metrics: Pick<Metrics, 'credentialConflicts' | 'credentialConflictSuspected'>,
  appIds: readonly string[],
): Promise<void> {
  for (const r of await conflicts.report(appIds)) {
    metrics.credentialConflicts.set({ app: r.appId }, r.lastHour);
    metrics.credentialConflictSuspected.set({ app: r.appId }, r.suspected ? 1 : 0);
  }
}
