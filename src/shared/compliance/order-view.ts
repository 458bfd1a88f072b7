import type { Config } from '../platform/config';
import { formatInstant } from '../platform/display-time';
import { maskedPii } from './mask';
import { appKeyOf } from './order-lookup';
import type { OrderRecord } from './order-record';
import { packageCompleteness } from './package-completeness';
import { describeResultCode, ocrSidesOf, outcomeOf } from './result-codes';

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);
const VIDEO_TYPES = new Set(['video/mp4']);

/** How a stored content type is served: images and MP4 inline, anything else as a download. */
export function servedType(contentType: string): { type: string; inline: boolean; ext: string } {
  if (contentType === 'image/jpeg') return { type: contentType, inline: true, ext: 'jpg' };
  if (contentType === 'image/png') return { type: contentType, inline: true, ext: 'png' };
  if (contentType === 'video/mp4') return { type: contentType, inline: true, ext: 'mp4' };
  return { type: 'application/octet-stream', inline: false, ext: 'bin' };
}

/** The order as every staff role sees it: results, events, timeline, evidence; ID number and name masked. */
export function orderView(cfg: Config, o: OrderRecord) {
  const pii = maskedPii(cfg, o);
  return {
    id: o.id,
    appKey: appKeyOf(cfg, o.appId),
    appId: o.appId,
    orderNo: o.orderNo,
    product: o.product,
    status: o.status,
    source: o.source,
    callbackCode: o.callbackCode,
    h5faceId: o.h5faceId,
    resultCode: o.resultCode,
    /** Passed / failed / no result, apart from the archive status (result-codes.ts). */
    outcome: outcomeOf(o.resultCode, o.details),
    resultMeaning: describeResultCode(o.resultCode, o.product) ?? null,
    /** OCR: the portrait (front) and emblem (back) sides' own codes. */
    ocrSides: ocrSidesOf(o.details) ?? null,
    resultMsg: o.resultMsg,
    liveRate: o.liveRate,
    similarity: o.similarity,
    occurredTime: o.occurredTime,
    bizSeqNo: o.bizSeqNo,
    userRef: o.userRef,
    idType: o.idType,
    idNo: pii.idNo,
    name: pii.name,
    piiMasked: true,
    piiStored: o.idNoSealed !== null || o.nameSealed !== null,
    details: o.details,
    filesNotProvided: filesNotProvided(o.details),
    lastError: o.lastError,
    archiveAttempts: o.archiveAttempts,
    createdAt: o.createdAt,
    verifiedAt: o.verifiedAt,
    archivedAt: o.archivedAt,
    callbackEvents: o.events.map((c) => ({
      id: c.id.toString(),
      channel: c.channel,
      verdict: c.verdict,
      code: c.code,
      reason: c.reason,
      ticketMatched: c.ticketMatched,
      params: c.params,
      clientIp: c.clientIp,
      userAgent: c.userAgent,
      createdAt: c.createdAt,
      repeatCount: c.repeatCount,
      lastSeenAt: c.lastSeenAt,
    })),
    /** Per verdict, how many events and attempts there are in all and how many are listed above. */
    callbackEventSummary: o.eventCounts,
    timeline: o.timeline.map((t) => ({ id: t.id.toString(), type: t.type, detail: t.detail, createdAt: t.createdAt })),
    completeness: packageCompleteness(o, cfg.apps.find((a) => a.appId === o.appId)?.requiredFiles),
    integrity: {
      failed: o.evidence
        .filter((e) => e.integrityFailedAt !== null)
        .map((e) => ({ kind: e.kind, problem: e.integrityProblem ?? 'mismatch', at: e.integrityFailedAt! })),
    },
    evidence: o.evidence.map((e) => ({
      kind: e.kind,
      integrityFailedAt: e.integrityFailedAt,
      integrityProblem: e.integrityProblem,
      verifiedAt: e.verifiedAt,
      contentType: e.contentType,
      bytes: Number(e.bytes),
      sha256: e.sha256,
      storedAt: e.storedAt,
      display: IMAGE_TYPES.has(e.contentType) ? 'image' : VIDEO_TYPES.has(e.contentType) ? 'video' : 'file',
    })),
  };
}

export type OrderView = ReturnType<typeof orderView>;

/** Optional files WeBank left empty when the order was archived (`details.filesNotProvided`). */
function filesNotProvided(details: unknown): string[] {
  const list = (details as { filesNotProvided?: unknown } | null)?.filesNotProvided;
  return Array.isArray(list) ? list.filter((k): k is string => typeof k === 'string') : [];
}

export const when = formatInstant;

/** 18716 → "18.3 KiB". */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
