import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  checkExportPackage,
  loadSigner,
  parseFingerprint,
  writeExportPackage,
  type PackageReport,
  type TrustedKey,
  type TrustSource,
} from '../../shared/compliance/export-package';
import { findOrderByNo } from '../../shared/compliance/order-lookup';
import { loadOrderRecord, orderRef } from '../../shared/compliance/order-record';
import { humanBytes } from '../../shared/compliance/order-view';
import { CliError, EXIT, type CliIo } from '../io';
import type { CliServices } from '../services';

const SOURCE_LABEL: Record<PackageReport['signature']['keySource'], string> = {
  given: '--trusted-key',
  config: 'EXPORT_SIGNING_KEY',
  'trust-list': 'EXPORT_TRUSTED_KEYS',
  package: 'the package itself, which proves nothing about who made it',
  none: 'nowhere',
};

function printReport(io: CliIo, file: string, r: PackageReport): void {
  io.out(`package   ${file}`);
  if (r.manifest)
    io.out(
      `order     ${String(r.manifest.order.appKey)}/${String(r.manifest.order.orderNo)}, exported ${r.manifest.exportedAt} by ${r.manifest.exportedBy}`,
    );
  const sig = r.signature;
  io.out(
    `signature ${sig.ok ? (sig.originProven ? 'valid' : 'consistent, UNVERIFIED') : 'INVALID'} (Ed25519, key ${sig.fingerprint ?? '-'}, from ${SOURCE_LABEL[sig.keySource]})`,
  );
  for (const f of r.files) io.out(`${f.ok ? 'ok      ' : 'MISMATCH'}  ${f.path}\t${f.actualSha256 ?? 'missing'}`);
  for (const p of r.problems) io.out(`problem   ${p}`);
  if (r.verdict === 'unverified') {
    io.err('UNVERIFIED: no trusted key was given, and the key inside a package is never trusted: anyone who alters a');
    io.err(
      '            package can re-sign it with a key of their own. Pass --trusted-key with the published public key',
    );
    io.err('            (a PEM file, or its SHA-256 fingerprint as shown in the console and by `export public-key`).');
  }
  const c = r.manifest?.completeness;
  if (c)
    io.out(
      `complete  ${c.complete ? 'yes' : `NO (${c.reason ?? '-'}; expected ${c.expected.join(', ') || '-'}; missing ${c.missing.join(', ') || '-'})`}`,
    );
  const accepted = r.incompleteAccepted ? ' (incomplete, accepted)' : '';
  io.out(
    r.verdict === 'ok'
      ? `PACKAGE OK${accepted}`
      : r.verdict === 'unverified'
        ? `PACKAGE UNVERIFIED${accepted}`
        : 'PACKAGE FAILED',
  );
}

/**
 * The keys `export check` trusts, all from outside the package: --trusted-key (a PEM file or a
 * fingerprint, repeatable), EXPORT_TRUSTED_KEYS (the same, comma-separated) and the public half
 * of EXPORT_SIGNING_KEY (this deployment's own key).
 */
async function trustedKeys(values: string[], env: NodeJS.ProcessEnv): Promise<TrustedKey[]> {
  const one = async (value: string, source: TrustSource): Promise<TrustedKey> => {
    const fingerprint = parseFingerprint(value);
    if (fingerprint) return { fingerprint, source };
    const pem = await readFile(value, 'utf8').catch(() => {
      throw new CliError(
        `cannot read ${value} (a trusted key is a PEM file or a 64-hex SHA-256 fingerprint)`,
        EXIT.usage,
      );
    });
    return { pem, source };
  };
  const out: TrustedKey[] = [];
  for (const v of values) out.push(await one(v, 'given'));
  for (const v of (env.EXPORT_TRUSTED_KEYS ?? '').split(',').map((x) => x.trim())) {
    if (v) out.push(await one(v, 'trust-list'));
  }
  const signer = env.EXPORT_SIGNING_KEY ? loadSigner({ EXPORT_SIGNING_KEY: env.EXPORT_SIGNING_KEY }) : undefined;
  if (signer) out.push({ pem: signer.publicKeyPem, source: 'config' });
  return out;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

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
          'usage: export <orderNo> --out <file> | export check <file> [--trusted-key <file|fingerprint>]',
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
          const order = await findOrderByNo(s.db, s.cfg, orderNo, opts.app, s.scope);
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
    .description(
      'check a package offline: the manifest signature against a trusted key, and every file hash; exit 0 only when OK',
    )
    .option(
      '--trusted-key <file|fingerprint>',
      'the published signing public key: a PEM file or its SHA-256 fingerprint (repeatable); also EXPORT_TRUSTED_KEYS',
      collect,
    )
    .option('--public-key <file>', 'the same as --trusted-key <file>', collect)
    .option('--accept-incomplete', 'pass a package that says it lacks files (or does not say)')
    .action(
      async (
        file: string,
        opts: { trustedKey?: string[]; publicKey?: string[]; acceptIncomplete?: boolean },
        cmd: Command,
      ) => {
        // `export` has the same flag: commander gives it to the parent unless read with the globals.
        const acceptIncomplete = opts.acceptIncomplete === true || cmd.optsWithGlobals().acceptIncomplete === true;
        const s = svc();
        const trusted = await trustedKeys([...(opts.trustedKey ?? []), ...(opts.publicKey ?? [])], s.io.env);
        const report = await checkExportPackage(file, { trusted, acceptIncomplete });
        printReport(s.io, file, report);
        if (!report.ok)
          throw new CliError(
            report.verdict === 'unverified'
              ? 'the package could not be verified: no trusted key'
              : 'the package failed the check',
            EXIT.failed,
          );
      },
    );

  exp
    .command('public-key')
    .description(
      'print the public key matching EXPORT_SIGNING_KEY and its fingerprint, to publish for `export check --trusted-key`',
    )
    .action(() => {
      const s = svc();
      const key = s.io.env.EXPORT_SIGNING_KEY;
      const signer = key ? loadSigner({ EXPORT_SIGNING_KEY: key }) : undefined;
      if (!signer) throw new CliError('EXPORT_SIGNING_KEY is not set', EXIT.unavailable);
      s.io.out(signer.publicKeyPem.trimEnd());
      s.io.err(`fingerprint (SHA-256 of the SPKI, for --trusted-key): ${signer.fingerprint}`);
    });
}
