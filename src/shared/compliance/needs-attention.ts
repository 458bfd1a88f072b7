import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { CredentialConflicts } from '../webank/tickets/credential-conflicts';
import { ordersAtRisk } from './orders-at-risk';
import { inScope, type AppScope } from './staff/app-scope';

/** Rejected or invalid callbacks per app within this window that count as a burst of forgeries. */
export const FORGED_BURST_WINDOW_MINUTES = 15;
export const FORGED_BURST_MIN = 10;
/** Most rows listed per section (the counts are exact). */
const LIMIT = 100;

export interface AttentionOrder {
  id: string;
  appId: string;
  orderNo: string;
  status: string;
  lastError: string | null;
  since: Date;
}

export interface NeedsAttention {
  total: number;
  counts: Record<Section, number>;
  integrity: (AttentionOrder & { files: { kind: string; problem: string; at: Date }[] })[];
  evidenceMissing: AttentionOrder[];
  failed: AttentionOrder[];
  nearLimit: (AttentionOrder & { hoursLeft: number; deadline: Date })[];
  forgedBursts: { appId: string | null; count: number; lastAt: Date }[];
  credentialConflicts: {
    appId: string;
    lastHour: number;
    threshold: number;
    suspected: boolean;
    lastDetectedAt: Date | null;
  }[];
}

export type Section = 'integrity' | 'evidenceMissing' | 'failed' | 'nearLimit' | 'forgedBursts' | 'credentialConflicts';

/**
 * What staff must act on, for the configured apps: evidence that failed its integrity check
 * (altered or missing objects: investigate, re-queue while WeBank still holds the files), orders
 * that ended EVIDENCE_MISSING or FAILED (re-queue or explain), orders whose WeBank window closes
 * within 24 h without evidence, bursts of forged callbacks (someone is probing the callback URL)
 * and credential conflicts (another system refreshes the same WBappid). Orders leave the list
 * when their state changes (re-queued, archived, purged, the mark cleared).
 */
export async function needsAttention(
  db: Db,
  cfg: Config,
  scope: AppScope = null,
  now = new Date(),
): Promise<NeedsAttention> {
  // Only the apps this staff member may see (scope null: every configured app).
  const appIds = cfg.apps.map((a) => a.appId).filter((id) => inScope(scope, id));
  const inApps = { appId: { in: appIds } };
  const orderSelect = { id: true, appId: true, orderNo: true, status: true, lastError: true, updatedAt: true } as const;
  const asOrder = (o: {
    id: string;
    appId: string;
    orderNo: string;
    status: string;
    lastError: string | null;
    updatedAt: Date;
  }) => ({
    id: o.id,
    appId: o.appId,
    orderNo: o.orderNo,
    status: o.status,
    lastError: o.lastError,
    since: o.updatedAt,
  });

  const [marked, integrityCount, missing, missingCount, failed, failedCount, atRisk, bursts, conflicts] =
    await Promise.all([
      db.evidence.findMany({
        where: { integrityFailedAt: { not: null }, order: inApps },
        orderBy: { integrityFailedAt: 'desc' },
        take: LIMIT * 4,
        select: {
          kind: true,
          integrityProblem: true,
          integrityFailedAt: true,
          order: { select: orderSelect },
        },
      }),
      db.order.count({ where: { ...inApps, evidence: { some: { integrityFailedAt: { not: null } } } } }),
      db.order.findMany({
        where: { ...inApps, status: 'EVIDENCE_MISSING' },
        orderBy: { updatedAt: 'desc' },
        take: LIMIT,
        select: orderSelect,
      }),
      db.order.count({ where: { ...inApps, status: 'EVIDENCE_MISSING' } }),
      db.order.findMany({
        where: { ...inApps, status: 'FAILED' },
        orderBy: { updatedAt: 'desc' },
        take: LIMIT,
        select: orderSelect,
      }),
      db.order.count({ where: { ...inApps, status: 'FAILED' } }),
      ordersAtRisk(db, cfg, scope, 24, 1000),
      db.callbackEvent.groupBy({
        by: ['appId'],
        where: {
          verdict: { in: ['rejected', 'invalid'] },
          createdAt: { gte: new Date(now.getTime() - FORGED_BURST_WINDOW_MINUTES * 60_000) },
          OR: [{ appId: { in: appIds } }, { appId: null }],
        },
        _count: { _all: true },
        _max: { createdAt: true },
      }),
      CredentialConflicts.fromConfig(db, cfg).report(appIds, now),
    ]);

  const byOrder = new Map<string, NeedsAttention['integrity'][number]>();
  for (const e of marked) {
    const entry = byOrder.get(e.order.id) ?? { ...asOrder(e.order), files: [] };
    entry.files.push({ kind: e.kind, problem: e.integrityProblem ?? 'mismatch', at: e.integrityFailedAt! });
    entry.since = entry.files.reduce((a, f) => (f.at > a ? f.at : a), entry.files[0]!.at);
    byOrder.set(e.order.id, entry);
  }
  const nearLimit = atRisk.orders
    .filter((o) => appIds.includes(o.appId))
    .map((o) => ({
      id: o.id,
      appId: o.appId,
      orderNo: o.orderNo,
      status: o.status,
      lastError: o.lastError,
      since: o.startedAt,
      hoursLeft: o.hoursLeft,
      deadline: o.deadline,
    }));
  const forgedBursts = bursts
    .filter((b) => b._count._all >= FORGED_BURST_MIN)
    .map((b) => ({ appId: b.appId, count: b._count._all, lastAt: b._max.createdAt! }));
  const credentialConflicts = conflicts.filter((c) => c.lastHour > 0);
  const counts: Record<Section, number> = {
    integrity: integrityCount,
    evidenceMissing: missingCount,
    failed: failedCount,
    nearLimit: nearLimit.length,
    forgedBursts: forgedBursts.length,
    credentialConflicts: credentialConflicts.length,
  };
  return {
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    counts,
    integrity: [...byOrder.values()].slice(0, LIMIT),
    evidenceMissing: missing.map(asOrder),
    failed: failed.map(asOrder),
    nearLimit: nearLimit.slice(0, LIMIT),
    forgedBursts,
    credentialConflicts,
  };
}

/** Just the total, for the console header (cheap enough per page; cached briefly by the caller). */
export async function countNeedsAttention(db: Db, cfg: Config): Promise<number> {
  return (await needsAttention(db, cfg)).total;
}
