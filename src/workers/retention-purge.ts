import { DeleteObjectCommand, ListObjectVersionsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { RedisClient } from '../shared/platform/redis';
import { auditData } from '../shared/compliance/audit';
import type { Config, WebankApp } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { orderKeyPrefix } from '../shared/evidence/keys';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { componentLogger } from '../shared/platform/logger';
import type { Metrics } from '../shared/platform/metrics';
import { LeaderTask } from '../shared/platform/leader-task';
import { FINISHED } from '../shared/orders/lifecycle';
import { recordPurge } from '../shared/orders/retention-records';
import type { OrderStatus } from '../generated/prisma/client';

const log = componentLogger('retention');

const DAY_MS = 24 * 3600 * 1000;

export interface RetentionPurgeDeps {
  cfg: Config;
  db: Db;
  redis: RedisClient;
  /** `head` tells the Object Lock retain-until date; objects are listed and deleted through `client`. */
  evidence: Pick<EvidenceStore, 'head' | 'client' | 'bucket' | 'prefix'>;
  metrics?: Metrics;
  /** Orders read per query; default 100. */
  pageSize?: number;
  /** Orders looked at per pass; the next pass continues after the last one. Default 5000. */
  maxOrdersPerPass?: number;
}

export interface PurgeReport {
  purged: number;
  skippedLocked: number;
  failed: number;
  objectsDeleted: number;
}

type PurgeOutcome = 'purged' | 'skipped_locked' | 'failed' | 'changed';

interface ExpiredOrder {
  id: string;
  appId: string;
  orderNo: string;
  status: OrderStatus;
  createdAt: Date;
}

/** The retention period of an app in days (its `retentionDays`, else RETENTION_DAYS); 0 = keep forever. */
export function retentionDaysFor(cfg: Config, app: Pick<WebankApp, 'retentionDays'>): number {
  return app.retentionDays ?? cfg.RETENTION_DAYS;
}

/**
 * Deletes the evidence and personal data of finished orders older than their app's retention
 * period. Per order: every object under the order's key prefix goes first (all versions, on a
 * versioned bucket), then in one transaction the evidence rows become tombstones (key, size,
 * SHA-256), the sealed personal columns and the callback's client IP and user agent are cleared,
 * the order becomes PURGED, and the purge is written to the audit trail. An object whose S3
 * Object Lock retain-until date is still ahead is never deleted early: that order is skipped
 * whole and tried again on a later pass. One leader at a time (Redis lock).
 */
export class RetentionPurge extends LeaderTask<PurgeReport> {
  /** Where the last pass stopped when it hit maxOrdersPerPass, per app. */
  private readonly resumeAfter = new Map<string, { createdAt: Date; id: string }>();

  constructor(private readonly deps: RetentionPurgeDeps) {
    const every = deps.cfg.RETENTION_INTERVAL_MS;
    super({
      name: 'retention',
      prefix: deps.cfg.QUEUE_PREFIX,
      lock: 'retention-purge',
      redis: deps.redis,
      lockTtlMs: 5 * 60_000,
      intervalMs: every,
      firstDelayMs: Math.min(5000, every),
    });
  }

  protected scheduledPass(): Promise<PurgeReport | undefined> {
    return this.purgeAsLeader();
  }

  /** One pass if no other replica is running one; it ends after the order it is on when stopped. */
  async purgeAsLeader(now = new Date()): Promise<PurgeReport | undefined> {
    if (!this.deps.cfg.apps.some((a) => retentionDaysFor(this.deps.cfg, a) > 0)) return undefined;
    return this.asLeader((signal) => this.purgeOnce(now, signal));
  }

  /** Purges what is due at `now`; stops early (between orders) when `signal` aborts. */
  async purgeOnce(now = new Date(), signal?: AbortSignal): Promise<PurgeReport> {
    const report: PurgeReport = { purged: 0, skippedLocked: 0, failed: 0, objectsDeleted: 0 };
    const pageSize = this.deps.pageSize ?? 100;
    let budget = this.deps.maxOrdersPerPass ?? 5000;
    for (const app of this.deps.cfg.apps) {
      const days = retentionDaysFor(this.deps.cfg, app);
      if (days <= 0) continue;
      const cutoff = new Date(now.getTime() - days * DAY_MS);
      let after = this.resumeAfter.get(app.appId);
      this.resumeAfter.delete(app.appId);
      for (;;) {
        if (signal?.aborted || budget <= 0) break;
        const page: ExpiredOrder[] = await this.deps.db.order.findMany({
          where: {
            appId: app.appId,
            // Only finished orders: nothing is still writing their evidence.
            status: { in: [...FINISHED] },
            createdAt: { lt: cutoff },
            ...(after
              ? { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }
              : {}),
          },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          take: Math.min(pageSize, budget),
          select: { id: true, appId: true, orderNo: true, status: true, createdAt: true },
        });
        for (const order of page) {
          if (signal?.aborted) break;
          budget--;
          after = { createdAt: order.createdAt, id: order.id };
          const outcome = await this.purgeOrder(order, days, now, report).catch((err: unknown) => {
            log.warn('could not purge an order; next pass tries again', {
              orderId: order.id,
              error: (err as Error).message,
            });
            return 'failed' as const;
          });
          if (outcome === 'purged') report.purged++;
          else if (outcome === 'skipped_locked') report.skippedLocked++;
          else if (outcome === 'failed') report.failed++;
          if (outcome !== 'changed') this.deps.metrics?.retentionOrders.inc({ outcome });
        }
        if (page.length < pageSize) {
          after = undefined;
          break;
        }
      }
      if (after) this.resumeAfter.set(app.appId, after);
    }
    if (report.purged || report.skippedLocked || report.failed) log.info('retention pass', { ...report });
    return report;
  }

  private async purgeOrder(order: ExpiredOrder, days: number, now: Date, report: PurgeReport): Promise<PurgeOutcome> {
    const { db, evidence } = this.deps;
    const rows = await db.evidence.findMany({ where: { orderId: order.id }, orderBy: { kind: 'asc' } });
    // Rows name the complete objects; the prefix also finds any object a failed attempt left without a row.
    const listed = await this.listOrderObjects(order);
    const keys = [...new Set([...rows.map((r) => r.key), ...listed])];
    const heads = await Promise.all(keys.map(async (key) => ({ key, head: await evidence.head(key) })));
    const locked = heads.find(
      ({ head }) => head?.retainUntil !== undefined && head.retainUntil.getTime() > now.getTime(),
    );
    if (locked) {
      log.info('evidence under S3 Object Lock; purge postponed', {
        orderId: order.id,
        key: locked.key,
        retainUntil: locked.head?.retainUntil?.toISOString(),
      });
      return 'skipped_locked';
    }
    for (const { key, head } of heads) {
      if (!head && !rows.some((r) => r.key === key)) continue;
      await this.deleteObject(key);
      if (head) {
        report.objectsDeleted++;
        this.deps.metrics?.retentionObjectsDeleted.inc();
      }
    }

    const reason = `retention: ${days} days`;
    const bytes = rows.reduce((n, r) => n + Number(r.bytes), 0);
    const ref = { id: order.id, appId: order.appId, orderNo: order.orderNo };
    const detail = { reason, retentionDays: days, objects: keys.length, bytes, previousStatus: order.status };
    const purged = await recordPurge(db, {
      order,
      rows,
      purgedAt: now,
      reason,
      detail,
      alongside: (tx) =>
        tx.auditEntry.create({
          data: auditData({ actor: 'system:retention', action: 'purge', outcome: 'success', order: ref, detail }),
          select: { id: true },
        }),
    });
    if (!purged) return 'changed';
    log.info('order purged by retention', { orderId: order.id, appId: order.appId, objects: keys.length, reason });
    return 'purged';
  }

  /** Keys under the order's prefix. */
  private async listOrderObjects(order: ExpiredOrder): Promise<string[]> {
    const { evidence } = this.deps;
    const prefix = orderKeyPrefix(evidence.prefix, {
      appId: order.appId,
      orderNo: order.orderNo,
      date: order.createdAt,
    });
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await evidence.client.send(
        new ListObjectsV2Command({ Bucket: evidence.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /**
   * Deletes the object and, on a versioned bucket (Object Lock requires one), every version and
   * delete marker of that exact key, or the data would stay behind as a non-current version.
   */
  private async deleteObject(key: string): Promise<void> {
    const { client, bucket } = this.deps.evidence;
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    let versions;
    try {
      versions = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    } catch (err) {
      // Stores without versioning support (some emulators) have nothing more to delete.
      if (isUnsupported(err)) return;
      throw err;
    }
    for (const v of [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]) {
      if (v.Key !== key || !v.VersionId || v.VersionId === 'null') continue;
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId }));
    }
  }
}

function isUnsupported(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501 || e?.$metadata?.httpStatusCode === 405;
}
