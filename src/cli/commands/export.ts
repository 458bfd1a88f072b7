import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  checkExportPackage,
  loadSigner,
  writeExportPackage,
  type PackageReport,
} from '../../shared/compliance/export-package';
import { findOrderByNo } from '../../shared/compliance/order-lookup';
import { loadOrderRecord, orderRef } from '../../shared/compliance/order-record';
import { humanBytes } from '../../shared/compliance/order-view';
import { CliError, EXIT, type CliIo } from '../io';
import type { CliServices } from '../services';

function printReport(io: CliIo, file: string, r: PackageReport): void {
  io.out(`package   ${file}`);
  if (r.manifest)
    io.out(
      `order     ${String(r.manifest.order.appKey)}/${String(r.manifest.order.orderNo)}, exported ${r.manifest.exportedAt} by ${r.manifest.exportedBy}`,
    );
  const sig = r.signature;
  io.out(
    `signature ${sig.ok ? 'valid' : 'INVALID'} (Ed25519, key ${sig.fingerprint ?? '-'}, from ${sig.keySource === 'given' ? '--public-key' : sig.keySource === 'config' ? 'EXPORT_SIGNING_KEY' : sig.keySource === 'package' ? 'the package itself' : 'nowhere'})`,
  );
  for (const f of r.files) io.out(`${f.ok ? 'ok      ' : 'MISMATCH'}  ${f.path}\t${f.actualSha256 ?? 'missing'}`);
  for (const p of r.problems) io.out(`problem   ${p}`);
  if (r.ok && !sig.originProven) {
    io.err(
      'WARNING: the signature was checked with the key inside the package, which proves the package is intact but not who made it;',
    );
    io.err('         pass --public-key with the published key (npm run cli -- export public-key) to prove its origin.');
  }
  const c = r.manifest?.completeness;
  if (c)
    io.out(
      `complete  ${c.complete ? 'yes' : `NO (${c.reason ?? '-'}; expected ${c.expected.join(', ') || '-'}; missing ${c.missing.join(', ') || '-'})`}`,
    );
  io.out(r.ok ? (r.incompleteAccepted ? 'PACKAGE OK (incomplete, accepted)' : 'PACKAGE OK') : 'PACKAGE FAILED');
}

export function exportCommands(program: Command, svc: () => CliServices): void {
  const exp = program
    .command('export')
    .description(
      'write a signed evidence package for an order (export <orderNo> --out <file>), or check one (export check <file>)',
    )
    .argument('[orderNo]')
    .option('--out <file>', 'where to write the zip')
    .option('--app <key>', 'the app key, when the orderNo exists in several apps')
    .option('--accept-incomplete', 'write the package even though the order lacks files (the manifest says so)')
    .action(async (orderNo: string | undefined, opts: { out?: string; app?: string; acceptIncomplete?: boolean }) => {
      const s = svc();
      if (!orderNo)
        throw new CliError(
          'usage: export <orderNo> --out <file> | export check <file> [--public-key <pem>]',
          EXIT.usage,
        );
      if (!opts.out) throw new CliError('--out <file> is required', EXIT.usage);
      const signer = loadSigner(s.cfg);
      if (!signer)
        throw new CliError('evidence export is disabled: EXPORT_SIGNING_KEY is not configured', EXIT.unavailable);
      let ref: ReturnType<typeof orderRef> | undefined;
      await s.audited(
        'export',
        async (done) => {
          const order = await findOrderByNo(s.db, s.cfg, orderNo, opts.app);
          ref = orderRef(order);
          const record = await loadOrderRecord(s.db, order.id);
          const { manifest, sha256, bytes } = await writeExportPackage(
            { cfg: s.cfg, evidence: s.evidence, db: s.db },
            record,
            {
              exportedBy: s.actor.actor,
              outPath: opts.out!,
              signer,
              ctx: s.actor,
              acceptIncomplete: opts.acceptIncomplete === true,
            },
          );
          await s.audit({
            action: 'export',
            outcome: 'success',
            order: ref,
            detail: {
              via: 'cli',
              packageSha256: sha256,
              bytes,
              files: manifest.files.map((f) => ({ kind: f.kind, sha256: f.sha256 })),
              signingKey: signer.fingerprint,
              complete: manifest.completeness?.complete ?? false,
            },
          });
          done();
          s.io.out(`wrote ${opts.out} (${humanBytes(bytes)}, ${manifest.files.length} file(s), sha256 ${sha256})`);
        },
        () => ref,
      );
    });

  exp
    .command('check <file>')
    .description('check a package offline: the manifest signature and every file hash')
    .option(
      '--public-key <pem>',
      'the published signing public key (PEM file); default: from EXPORT_SIGNING_KEY if set, else the copy in the package',
    )
    .option('--accept-incomplete', 'pass a package that says it lacks files (or does not say)')
    .action(async (file: string, opts: { publicKey?: string; acceptIncomplete?: boolean }, cmd: Command) => {
      // `export` has the same flag: commander gives it to the parent unless read with the globals.
      const acceptIncomplete = opts.acceptIncomplete === true || cmd.optsWithGlobals().acceptIncomplete === true;
      const s = svc();
      let publicKeyPem: string | undefined;
      let keySource: 'given' | 'config' | undefined;
      if (opts.publicKey) {
        publicKeyPem = await readFile(opts.publicKey, 'utf8').catch(() => {
          throw new CliError(`cannot read ${opts.publicKey}`, EXIT.usage);
        });
        keySource = 'given';
      } else if (s.io.env.EXPORT_SIGNING_KEY) {
        const signer = loadSigner({ EXPORT_SIGNING_KEY: s.io.env.EXPORT_SIGNING_KEY });
        publicKeyPem = signer?.publicKeyPem;
        keySource = 'config';
      }
      const report = await checkExportPackage(file, {
        publicKeyPem,
        keySource,
        acceptIncomplete,
      });
      printReport(s.io, file, report);
      if (!report.ok) throw new CliError('the package failed the check', EXIT.failed);
    });

  exp
    .command('public-key')
    .description('print the public key matching EXPORT_SIGNING_KEY, to publish for `export check --public-key`')
    .action(() => {
      const s = svc();
      const key = s.io.env.EXPORT_SIGNING_KEY;
      const signer = key ? loadSigner({ EXPORT_SIGNING_KEY: key }) : undefined;
      if (!signer) throw new CliError('EXPORT_SIGNING_KEY is not set', EXIT.unavailable);
      s.io.out(signer.publicKeyPem.trimEnd());
      s.io.err(`fingerprint (sha256 of SPKI): ${signer.fingerprint}`);
    });
}
