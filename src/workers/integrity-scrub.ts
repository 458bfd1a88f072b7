import type { RedisClient } from '../shared/platform/redis';
import { recordIntegrityFailure, SYSTEM_SCRUBBER } from '../shared/compliance/integrity-failure';
import { isMissingObject } from '../shared/evidence/evidence-access';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import {
  countFailedEvidence,
  dueForScrub,
  markVerified,
  type ScrubCandidate,
} from '../shared/evidence/integrity-marks';
import type { Config } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { LeaderTask } from '../shared/platform/leader-task';
import { componentLogger } from '../shared/platform/logger';
import type { Metrics } from '../shared/platform/metrics';

const log = componentLogger('integrity-scrub');

export interface ScrubDeps {
  cfg: Config;
  db: Db;
  redis: RedisClient;
  evidence: Pick<EvidenceStore, 'verify'>;
  metrics?: Metrics;
}

export type ScrubResult = 'ok' | 'mismatch' | 'size' | 'missing' | 'error';

export interface ScrubReport {
  checked: number;
  results: Record<ScrubResult, number>;
}

/**
 * Integrity scrubbing: re-reads stored evidence objects whole, at a bounded rate, and compares
 * their size and SHA-256 with what was recorded when they were archived. Each pass (every
 * INTEGRITY_SCRUB_INTERVAL_MS, one replica at a time) takes at most INTEGRITY_SCRUB_BATCH rows
 * whose last check is older than INTEGRITY_SCRUB_PERIOD_HOURS (default a week), oldest first,
 * one object at a time: so every object is read about once per period while the pass size caps
 * the load on S3. A match records the check (`verified_at`); a mismatch, wrong size or missing
 * object is recorded as an integrity failure (evidence-row mark, timeline, audit trail, shown on
 * the order page and in Needs attention) and counted in /metrics. An S3 error is only counted and
 * logged: the row stays due and the next pass tries it again.
 */
export class IntegrityScrub extends LeaderTask<ScrubReport> {
  constructor(private readonly deps: ScrubDeps) {
    const every = deps.cfg.INTEGRITY_SCRUB_INTERVAL_MS;
    super({
      name: 'integrity-scrub',
      prefix: deps.cfg.QUEUE_PREFIX,
      lock: 'integrity-scrub',
      redis: deps.redis,
      lockTtlMs: 5 * 60_000,
      intervalMs: every,
      firstDelayMs: Math.min(10_000, every),
    });
  }

  protected scheduledPass(): Promise<ScrubReport | undefined> {
    return this.scrubAsLeader();
  }

  /** One pass if no other replica is running one. */
  scrubAsLeader(now = new Date()): Promise<ScrubReport | undefined> {
    if (this.deps.cfg.INTEGRITY_SCRUB_BATCH <= 0) return Promise.resolve(undefined);
    return this.asLeader((signal) => this.scrubOnce(now, signal));
  }

  async scrubOnce(now = new Date(), signal?: AbortSignal): Promise<ScrubReport> {
    const { cfg, db, metrics } = this.deps;
    const appIds = cfg.apps.map((a) => a.appId);
    const before = new Date(now.getTime() - cfg.INTEGRITY_SCRUB_PERIOD_HOURS * 3600_000);
    const due = await dueForScrub(db, appIds, before, cfg.INTEGRITY_SCRUB_BATCH);
    const report: ScrubReport = { checked: 0, results: { ok: 0, mismatch: 0, size: 0, missing: 0, error: 0 } };
    for (const row of due) {
      if (signal?.aborted) break;
      const result = await this.check(row);
      report.checked++;
      report.results[result]++;
      metrics?.integrityChecks.inc({ result });
    }
    metrics?.integrityFailedObjects.set(await countFailedEvidence(db, appIds));
    if (report.checked > 0) log.info('integrity scrub pass', { ...report.results });
    return report;
  }

  private async check(row: ScrubCandidate): Promise<ScrubResult> {
    const { db, evidence } = this.deps;
    const bytes = Number(row.bytes);
    let result: ScrubResult;
    let actual: { sha256: string | null; bytes: number | null } = { sha256: null, bytes: null };
    try {
      const v = await evidence.verify(row.key, row.sha256);
      actual = { sha256: v.actualSha256, bytes: v.bytes };
      if (v.ok && v.bytes === bytes) {
        await markVerified(db, row.order.id, row.kind, v.etag);
        return 'ok';
      }
      result = v.bytes === bytes ? 'mismatch' : 'size';
    } catch (err) {
      if (!isMissingObject(err)) {
        log.warn('integrity scrub could not read an object; next pass tries again', {
          orderId: row.order.id,
          kind: row.kind,
          error: (err as Error).name,
        });
        return 'error';
      }
      result = 'missing';
    }
    await recordIntegrityFailure(
      db,
      {
        order: row.order,
        via: 'scrub',
        files: [
          {
            kind: row.kind,
            problem: result,
            expectedSha256: row.sha256,
            actualSha256: actual.sha256,
            actualBytes: actual.bytes,
          },
        ],
      },
      SYSTEM_SCRUBBER,
    );
    return result;
  }
}
