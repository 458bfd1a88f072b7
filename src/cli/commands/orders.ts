import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { verifyOrderEvidence } from '../../shared/compliance/integrity';
import { recordIntegrityFailure, type FailedFile } from '../../shared/compliance/integrity-failure';
import { isMissingObject } from '../../shared/evidence/evidence-access';
import { findOrderByNo } from '../../shared/compliance/order-lookup';
import { loadOrderRecord, orderRef } from '../../shared/compliance/order-record';
import { requeueOrder } from '../../shared/compliance/staff-requeue';
import { humanBytes, servedType } from '../../shared/compliance/order-view';
import { CliError, EXIT } from '../io';
import type { CliServices } from '../services';

type OrderRef = { id: string; appId: string; orderNo: string };

/** Files from 1 MiB get a progress bar when standard error is a terminal. */
const PROGRESS_FROM = 1024 * 1024;

export function orderCommands(program: Command, svc: () => CliServices): void {
  const evidence = program.command('evidence').description('read and check archived evidence');

  evidence
    .command('get <orderNo>')
    .description("download an order's evidence files into a directory, checking each SHA-256")
    .requiredOption('--out <dir>', 'directory to write into (created if missing)')
    .option('--app <key>', 'the app key, when the orderNo exists in several apps')
    .action(async (orderNo: string, opts: { out: string; app?: string }) => {
      const s = svc();
      let ref: OrderRef | undefined;
      await s.audited(
        'download',
        async (done) => {
          const order = await findOrderByNo(s.db, s.cfg, orderNo, opts.app, s.scope);
          ref = orderRef(order);
          const record = await loadOrderRecord(s.db, order.id);
          if (record.evidence.length === 0)
            throw new CliError(`order ${orderNo} has no stored evidence (status ${record.status})`, EXIT.failed);
          await mkdir(opts.out, { recursive: true });
          const total = record.evidence.reduce((n, e) => n + Number(e.bytes), 0);
          const bars =
            s.io.interactive && total >= PROGRESS_FROM
              ? new MultiBar(
                  {
                    format: ' {kind} [{bar}] {percentage}% | {value}/{total} bytes',
                    stream: s.io.stderr,
                    hideCursor: true,
                    clearOnComplete: false,
                  },
                  Presets.shades_classic,
                )
              : undefined;
          const results: { kind: string; file: string; ok: boolean; sha256: string }[] = [];
          const failed: FailedFile[] = [];
          try {
            for (const e of record.evidence) {
              const file = path.join(opts.out, `${record.orderNo}-${e.kind}.${servedType(e.contentType).ext}`);
              const partial = `${file}.part`;
              const bar = bars?.create(Number(e.bytes), 0, { kind: e.kind.padEnd(11) });
              const hash = createHash('sha256');
              let bytes = 0;
              const obj = await s.evidence.get(e.key).catch(async (err: unknown) => {
                if (isMissingObject(err)) {
                  await recordIntegrityFailure(
                    s.db,
                    {
                      order: ref!,
                      via: 'cli',
                      files: [{ kind: e.kind, problem: 'missing', expectedSha256: e.sha256, actualSha256: null }],
                    },
                    s.actor,
                  );
                  throw new CliError(`the ${e.kind} object is missing from storage (recorded)`, EXIT.failed);
                }
                throw err;
              });
              await pipeline(
                obj.body,
                new Transform({
                  transform(chunk: Buffer, _enc, next) {
                    hash.update(chunk);
                    bytes += chunk.length;
                    bar?.update(bytes);
                    next(null, chunk);
                  },
                }),
                createWriteStream(partial),
              );
              const sha256 = hash.digest('hex');
              const ok = sha256 === e.sha256 && bytes === Number(e.bytes);
              await rename(partial, ok ? file : `${file}.mismatch`);
              if (!ok)
                failed.push({
                  kind: e.kind,
                  problem: bytes === Number(e.bytes) ? 'mismatch' : 'size',
                  expectedSha256: e.sha256,
                  actualSha256: sha256,
                  actualBytes: bytes,
                });
              results.push({ kind: e.kind, file: ok ? file : `${file}.mismatch`, ok, sha256 });
            }
          } finally {
            bars?.stop();
          }
          const allOk = results.every((r) => r.ok);
          // The same mark, timeline line and audit row as the console's reads.
          await recordIntegrityFailure(s.db, { order: ref, via: 'cli', files: failed }, s.actor);
          await s.audit({
            action: 'download',
            outcome: allOk ? 'success' : 'failure',
            order: ref,
            detail: { via: 'cli', files: results.map((r) => ({ kind: r.kind, ok: r.ok, sha256: r.sha256 })) },
          });
          done();
          for (const r of results) s.io.out(`${r.ok ? 'ok      ' : 'MISMATCH'} ${r.kind}\t${r.file}\t${r.sha256}`);
          s.io.out(`${results.length} file(s), ${humanBytes(total)}`);
          if (!allOk)
            throw new CliError(
              'some files do not match their recorded SHA-256 (kept with a .mismatch suffix)',
              EXIT.failed,
            );
        },
        () => ref,
      );
    });

  evidence
    .command('verify <orderNo>')
    .description("re-read an order's evidence from S3 and compare each SHA-256 with the recorded one")
    .option('--app <key>', 'the app key, when the orderNo exists in several apps')
    .action(async (orderNo: string, opts: { app?: string }) => {
      const s = svc();
      let ref: OrderRef | undefined;
      await s.audited(
        'verify',
        async (done) => {
          const order = await findOrderByNo(s.db, s.cfg, orderNo, opts.app, s.scope);
          ref = orderRef(order);
          const record = await loadOrderRecord(s.db, order.id);
          const report = await verifyOrderEvidence({ db: s.db, evidence: s.evidence }, record, s.actor);
          done();
          for (const f of report.files) {
            s.io.out(
              `${f.verdict.toUpperCase().padEnd(8)} ${f.kind}\trecorded ${f.expectedSha256}\tactual ${f.actualSha256 ?? '-'}`,
            );
          }
          if (report.files.length === 0) s.io.out('no evidence recorded for this order');
          if (!report.ok) throw new CliError(`integrity check FAILED for order ${orderNo}`, EXIT.failed);
          s.io.out(`integrity check passed for order ${orderNo}`);
        },
        () => ref,
      );
    });

  program
    .command('requeue <orderNo>')
    .description('put an order back on the archive queue (e.g. after EVIDENCE_MISSING)')
    .option('--app <key>', 'the app key, when the orderNo exists in several apps')
    .action(async (orderNo: string, opts: { app?: string }) => {
      const s = svc();
      let ref: OrderRef | undefined;
      await s.audited(
        'requeue',
        async (done) => {
          const order = await findOrderByNo(s.db, s.cfg, orderNo, opts.app, s.scope);
          ref = orderRef(order);
          const result = await requeueOrder({ db: s.db, archiveQueue: s.archiveQueue }, order, s.actor);
          done();
          s.io.out(`queued ${orderNo} as job ${result.jobId} (was ${result.previousStatus})`);
        },
        () => ref,
      );
    });
}
