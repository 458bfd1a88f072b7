import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, type Job } from 'bullmq';
import { appById, type Config, type Product } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { componentLogger } from '../shared/platform/logger';
import type { Metrics } from '../shared/platform/metrics';
import type { ArchiveJobData } from '../shared/orders/archive-queue';
import { resultColumns, type Envelope, type Scalars } from '../shared/webank/result-fields';
import { filePlan } from '../shared/webank/required-files';
import { dataKey } from '../shared/platform/sealed';
import { TicketMemo } from '../shared/webank/tickets/ticket-memo';
import type { WebankClient } from '../shared/webank/client';
import {
  NO_RESULT_CODE,
  SIGNATURE_REJECTION_CODES,
  WebankError,
  isSignatureRejection,
  safeWebankMsg,
} from '../shared/webank/errors';
import { getFileFor, productSpec, queryPathOf, type FileKind } from '../shared/webank/products';
import { parseWebankStream } from '../shared/webank/response-stream';
import { recordStep, startArchive, type StoredFile } from '../shared/orders/archive-records';
import { recheckStoredEvidence } from './evidence-recheck';
import { storeEvidenceFile } from './store-evidence-file';

const log = componentLogger('archiver');

const UNKNOWN_CODE_ATTEMPTS = 5;

/** What the archiver needs of the ticket keeper. */
export interface TicketSource {
  currentTicket(appId: string): Promise<string>;
  /** `refused`: the ticket WeBank refused and its code (judged as a possible credential conflict). */
  refreshNow(appId: string, reason: string, opts?: { refused?: { ticket: string; code: string } }): Promise<unknown>;
}

export interface ArchiverDeps {
  cfg: Config;
  db: Db;
  webank: WebankClient;
  evidence: EvidenceStore;
  tickets: TicketSource;
  metrics?: Metrics;
}

/**
 * The current ticket per app, read from the keeper (a Redis round trip and an AES-GCM open) at
 * most once a second rather than for every query. A ticket read less than a second ago is still
 * valid at WeBank (the keeper refreshes well before expiry, and WeBank honours a ticket until it
 * expires even after a newer one was issued); a refusal refreshes it and asks again, as before.
 */
export class RecentTicket implements TicketSource {
  private readonly recent: TicketMemo<string>;

  constructor(
    private readonly source: TicketSource,
    maxAgeMs = 1000,
  ) {
    this.recent = new TicketMemo(maxAgeMs);
  }

  currentTicket(appId: string): Promise<string> {
    return this.recent.get(appId, () => this.source.currentTicket(appId));
  }

  async refreshNow(appId: string, reason: string, opts?: { refused?: { ticket: string; code: string } }) {
    this.recent.forget(appId);
    try {
      return await this.source.refreshNow(appId, reason, opts);
    } finally {
      // Another job may have re-read the refused ticket while the refresh ran.
      this.recent.forget(appId);
    }
  }
}

/** The ticket each signature refusal was signed with, for the credential-conflict check (never logged). */
const REFUSED = new WeakMap<Error, { ticket: string; code: string }>();

/** The files did not all arrive: retried later with BullMQ backoff until the horizon. */
export class EvidencePendingError extends Error {
  constructor(readonly missing: string[]) {
    super(`evidence still missing: ${missing.join(', ')}`);
    this.name = 'EvidencePendingError';
  }
}

type Outcome = 'archived' | 'no_result' | 'already_done' | 'failed_verification' | 'evidence_lost';

/**
 * Archives one order: ask WeBank for the result and only the files still missing, stream each
 * file into S3 (an evidence row only once its object is complete), record the result, and poll
 * a few times for files that lag the result. Rerunning it for the same order changes nothing
 * that is already stored.
 */
export function archiveProcessor(given: ArchiverDeps) {
  const deps: ArchiverDeps = { ...given, tickets: new RecentTicket(given.tickets) };
  return async (job: Job<ArchiveJobData>, _token?: string, signal?: AbortSignal): Promise<Outcome> => {
    const { appId, orderNo, product } = job.data;
    try {
      const outcome = await archiveOrder(deps, appId, orderNo, product, signal);
      deps.metrics?.jobsTotal.inc({ product, outcome });
      return outcome;
    } catch (err) {
      // Cancelled (worker shutting down): not a failure of the order; the caller releases the job.
      if (signal?.aborted) throw err;
      throw await settleFailure(deps, job, err);
    }
  };
}

/**
 * `signal` cancels the run between steps and mid-query: the WeBank request is destroyed, so a
 * file being uploaded is aborted (no object, no row) and the rerun fetches it again.
 */
export async function archiveOrder(
  deps: ArchiverDeps,
  appId: string,
  orderNo: string,
  product: Product,
  signal?: AbortSignal,
): Promise<Outcome> {
  const { db, cfg } = deps;
  // One statement: ARCHIVING, the attempt counted, `archive_started` on the timeline.
  const order = await startArchive(db, appId, orderNo);
  if (order === 'missing') throw new UnrecoverableError(`no order ${appId}/${orderNo}`);
  if (order === 'terminal') return 'already_done';

  // Rows whose object is gone or altered are fetched again (or the order ends EVIDENCE_MISSING).
  const intact = await recheckStoredEvidence(deps, order);
  if (intact === 'settled') return 'evidence_lost';
  const stored = new Set<string>(intact);
  const spec = productSpec(product);
  const app = appById(cfg, appId);
  const queryPath = queryPathOf(product, app?.queryApi);
  let signatureRetried = false;
  for (let poll = 0; ; poll++) {
    const allKinds = spec.fileFields.map((f) => f.kind);
    const wanted = allKinds.filter((k) => !stored.has(k));
    signal?.throwIfAborted();
    // Objects this query stores; their rows go with the statement that ends the query.
    const files: StoredFile[] = [];
    const answer = await queryOnce(deps, order, product, queryPath, wanted, stored, files, signal).catch(
      async (err: unknown) => {
        // The query failed after some files were stored whole (the video cut off after the photo
        // was in, a shutdown): record those, so the rerun asks only for what is still missing.
        if (files.length > 0) {
          await recordStep(db, order.id, { files }).catch((e: unknown) =>
            log.warn('could not record stored evidence', { orderId: order.id, error: (e as Error).message }),
          );
        }
        if (isSignatureRejection(err) && !signatureRetried) {
          // WeBank refused our signature: the ticket rotated under us. Refresh once and go again.
          signatureRetried = true;
          await deps.tickets.refreshNow(appId, 'signature rejected', { refused: REFUSED.get(err as Error) });
          return undefined;
        }
        throw err;
      },
    );
    if (!answer) {
      poll--;
      continue;
    }
    const { envelope, result } = answer;
    if (envelope.code === NO_RESULT_CODE) {
      await recordStep(db, order.id, {
        files,
        fields: {
          status: 'NO_RESULT',
          resultCode: envelope.code,
          resultMsg: envelope.msg ?? null,
          bizSeqNo: envelope.bizSeqNo ?? null,
          lastError: `${envelope.code}: ${safeWebankMsg(envelope.msg ?? '')}`.trim(),
        },
        events: [{ type: 'no_result', detail: { code: envelope.code, bizSeqNo: envelope.bizSeqNo ?? null } }],
      });
      return 'no_result';
    }
    if (envelope.code !== '0' && !answer.hasResult) {
      if (files.length > 0) await recordStep(db, order.id, { files });
      throw new WebankError(envelope.code, envelope.msg ?? '', queryPath, envelope.bizSeqNo);
    }

    const columns = resultColumns(
      product,
      envelope,
      result,
      cfg.PII_STORAGE === 'keep' ? dataKey(cfg.DATA_ENCRYPTION_KEY) : undefined,
      answer.topLevel,
    );
    // A failed verification may come without files; keep what came and stop asking.
    const plan = envelope.code === '0' ? filePlan(product, result, app?.requiredFiles) : { required: [], optional: [] };
    const missing = plan.required.filter((k) => !stored.has(k));
    if (missing.length === 0) {
      // Optional files the answer left empty: WeBank did not provide them (an OCR crop it could
      // not cut), which is not evidence missing. Recorded so staff see it, never waited for.
      const notProvided = plan.optional.filter((k) => !stored.has(k));
      const details = notProvided.length
        ? { ...((columns.details as Record<string, unknown> | undefined) ?? {}), filesNotProvided: notProvided }
        : columns.details;
      // The files' rows, the result, the final status and `archived` together, in one statement.
      await recordStep(db, order.id, {
        files,
        fields: {
          ...columns,
          details,
          status: 'ARCHIVED',
          resultCode: envelope.code,
          resultMsg: envelope.msg ?? null,
          lastError: null,
        },
        events: [
          {
            type: 'archived',
            detail: {
              code: envelope.code,
              bizSeqNo: envelope.bizSeqNo ?? null,
              ...(notProvided.length ? { notProvidedByWebank: notProvided } : {}),
            },
          },
        ],
        archivedAt: true,
      });
      return envelope.code === '0' ? 'archived' : 'failed_verification';
    }
    // ARCHIVE_POLL_ATTEMPTS queries in all (default 3, 2 s apart), then BullMQ's backoff takes over.
    if (poll + 1 >= Math.max(1, cfg.ARCHIVE_POLL_ATTEMPTS)) {
      await recordStep(db, order.id, {
        files,
        fields: { ...columns, status: 'EVIDENCE_PENDING', lastError: `missing ${missing.join(', ')}` },
        events: [{ type: 'evidence_pending', detail: { missing } }],
      });
      throw new EvidencePendingError(missing);
    }
    // The result (and any file that came) is on the order while the rest is awaited.
    await recordStep(db, order.id, { files, fields: columns });
    deps.metrics?.pollAttempts.inc();
    await sleep(cfg.ARCHIVE_POLL_INTERVAL_MS, undefined, { signal });
  }
}

interface Answer {
  envelope: Envelope;
  result: Scalars;
  /** Top-level fields besides code, msg, bizSeqNo, transactionTime and result (e.g. app_id, order_no). */
  topLevel: Scalars;
  hasResult: boolean;
}

/** One signed query, streamed: each file goes to S3 as it is read, and gets its row once complete. */
async function queryOnce(
  deps: ArchiverDeps,
  order: { id: string; appId: string; orderNo: string; createdAt: Date },
  product: Product,
  queryPath: string,
  wanted: FileKind[],
  stored: Set<string>,
  files: StoredFile[],
  signal?: AbortSignal,
): Promise<Answer> {
  const spec = productSpec(product);
  const ticket = await deps.tickets.currentTicket(order.appId);
  const getFile = getFileFor(product, wanted);
  const started = performance.now();
  const open = await deps.webank.openQuery(product, {
    appId: order.appId,
    orderNo: order.orderNo,
    ticket,
    getFile,
    signal,
  });
  const { cfg } = deps;
  const parsed = await parseWebankStream(open.body, {
    fileFields: spec.fileFields.map((f) => f.field),
    // Issue 15, item 8: what one answer may make this worker hold or store.
    maxKeys: cfg.WEBANK_MAX_FIELDS,
    maxTextBytes: cfg.WEBANK_MAX_TEXT_BYTES,
    maxFileBytes: (field) =>
      field === 'video'
        ? cfg.WEBANK_MAX_VIDEO_BYTES
        : spec.fileFields.some((f) => f.field === field)
          ? cfg.WEBANK_MAX_PHOTO_BYTES
          : undefined,
    onFile: async (field, data) => {
      const kind = spec.fileFields.find((f) => f.field === field)?.kind;
      // A file we already hold (get_file can return more than asked, e.g. OCR): drain, keep ours.
      if (!kind || stored.has(kind)) {
        data.resume();
        await new Promise((r) => data.once('end', r).once('error', r));
        return;
      }
      const saved = await storeEvidenceFile(deps, order, kind, data);
      files.push(saved);
      stored.add(kind);
      deps.metrics?.bytesArchived.inc({ kind }, saved.bytes);
    },
  });
  deps.metrics?.webankSeconds.observe({ endpoint: queryPath }, (performance.now() - started) / 1000);
  const { code, msg, bizSeqNo, transactionTime } = parsed.envelope;
  const envelope: Envelope = { code, msg, bizSeqNo, transactionTime };
  if (envelope.code !== '0') deps.metrics?.webankErrors.inc({ endpoint: queryPath, code: envelope.code.slice(0, 12) });
  // WeBank refused our sign (the ticket rotated under us): thrown from here so that archiveOrder's
  // refresh-and-ask-again path sees it; returned as an envelope it would only fail the attempt.
  if (SIGNATURE_REJECTION_CODES.has(envelope.code)) {
    const refusal = new WebankError(envelope.code, envelope.msg ?? '', queryPath, envelope.bizSeqNo);
    REFUSED.set(refusal, { ticket, code: envelope.code });
    throw refusal;
  }
  return {
    envelope,
    result: parsed.result,
    topLevel: parsed.envelope.extra,
    hasResult: Object.keys(parsed.result).length > 0,
  };
}

/**
 * On the last attempt (or past the retry horizon) an order gets its terminal status and the
 * reason; before that it keeps a visible pending status and the error, and BullMQ retries.
 */
async function settleFailure(deps: ArchiverDeps, job: Job<ArchiveJobData>, err: unknown): Promise<unknown> {
  const { appId, orderNo } = job.data;
  const message = describe(err);
  const order = await deps.db.order.findUnique({ where: { appId_orderNo: { appId, orderNo } } }).catch(() => null);
  if (!order) return err;
  const horizon = (order.verifiedAt ?? order.createdAt).getTime() + deps.cfg.ARCHIVE_RETRY_HORIZON_MINUTES * 60_000;
  // An unknown WeBank code is unlikely to go away: retry it a few times, not for hours.
  const attempts =
    err instanceof WebankError ? Math.min(UNKNOWN_CODE_ATTEMPTS, job.opts.attempts ?? 1) : (job.opts.attempts ?? 1);
  const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts || Date.now() >= horizon;
  const pending = err instanceof EvidencePendingError;
  const status = last ? (pending ? 'EVIDENCE_MISSING' : 'FAILED') : pending ? 'EVIDENCE_PENDING' : 'QUEUED';
  await recordStep(deps.db, order.id, {
    fields: { status, lastError: message },
    events: [
      { type: last ? 'archive_gave_up' : 'archive_retry', detail: { error: message, attempt: job.attemptsMade + 1 } },
    ],
  }).catch((e: unknown) =>
    log.warn('could not record job failure', { orderId: order.id, error: (e as Error).message }),
  );
  if (last && pending) deps.metrics?.evidenceMissing.inc();
  deps.metrics?.jobsTotal.inc({ product: job.data.product, outcome: last ? 'gave_up' : 'retry' });
  log.warn(last ? 'archive gave up' : 'archive attempt failed; will retry', {
    appId,
    orderNo,
    error: message,
    attempt: job.attemptsMade + 1,
  });
  // Past the horizon (or out of attempts for an unknown code) BullMQ must not retry again.
  return last && !(err instanceof UnrecoverableError) ? new UnrecoverableError(message) : err;
}

function describe(err: unknown): string {
  if (err instanceof WebankError) return `WeBank ${err.code}: ${err.message}`.slice(0, 500);
  return `${(err as Error).name ?? 'Error'}: ${(err as Error).message ?? String(err)}`.slice(0, 500);
}
