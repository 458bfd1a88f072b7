import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readableSummary } from './export-readable';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import type { Config } from '../platform/config';
import { AppError } from '../platform/errors';
import { isMissingObject, type EvidenceAccess } from '../evidence/evidence-access';
import type { Db } from '../platform/db';
import type { AuditContext } from './audit';
import { integrityFailed } from './evidence-reader';
import { recordIntegrityFailure, type FailedFile } from './integrity-failure';
import { maskedPii } from './mask';
import { appKeyOf } from './order-lookup';
import type { OrderRecord } from './order-record';
import { packageCompleteness, packageIncomplete, type Completeness } from './package-completeness';

/**
 * Evidence packages: a zip holding the evidence files, `manifest.json` (the order, its results,
 * callback events and timeline, and every file's SHA-256) and `manifest.sig`, a detached Ed25519
 * signature over the exact bytes of manifest.json. `signing-key.pem` carries the signer's public
 * key for convenience only and is never trusted: anyone can re-sign a doctored package with a key
 * of their own and put that key inside. Proof of origin needs a key the checker got elsewhere
 * (`export check --trusted-key <file|fingerprint>`, or EXPORT_TRUSTED_KEYS).
 * Personal data (ID number, name) appears masked, as a viewer sees it.
 */
export const PACKAGE_FORMAT = 'faceid-archiver/evidence-package@2';
/** The format before packages stated their completeness; still checked, never taken as complete. */
export const PACKAGE_FORMAT_V1 = 'faceid-archiver/evidence-package@1';
export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';
export const PUBLIC_KEY = 'signing-key.pem';

export interface ManifestFile {
  path: string;
  kind: string;
  contentType: string;
  bytes: number;
  sha256: string;
  storedAt: string;
  objectKey: string;
}

export interface Manifest {
  format: typeof PACKAGE_FORMAT | typeof PACKAGE_FORMAT_V1;
  exportedAt: string;
  exportedBy: string;
  /** The purpose staff stated for this export (PIPL), as in the audit trail. */
  purpose?: string;
  /** The same facts in words, per staff language, times in the display zone (export-readable.ts). */
  readable?: Record<string, string[]>;
  personalData: 'masked';
  order: Record<string, unknown>;
  callbackEvents: Record<string, unknown>[];
  /** Per verdict: events and attempts in all, and how many `callbackEvents` lists (absent in older packages). */
  callbackEventSummary?: { verdict: string; events: number; attempts: number; shown: number }[];
  timeline: Record<string, unknown>[];
  files: ManifestFile[];
  /** Which files the order should have and which the package holds (absent in @1 packages). */
  completeness?: Completeness;
  signature: { algorithm: 'Ed25519'; file: typeof SIGNATURE; publicKeySha256: string };
}

export interface Signer {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  fingerprint: string;
}

/** SHA-256 of the public key's SPKI DER, hex: how a key is named in manifests and reports. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

const pemOf = (value: string) => (value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8'));

/** The export signer from EXPORT_SIGNING_KEY, or undefined when exports are not configured. */
export function loadSigner(cfg: Pick<Config, 'EXPORT_SIGNING_KEY'>): Signer | undefined {
  if (!cfg.EXPORT_SIGNING_KEY) return undefined;
  const privateKey = createPrivateKey(pemOf(cfg.EXPORT_SIGNING_KEY));
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(publicKey),
  };
}

export const exportNotConfigured = () =>
  new AppError('export_not_configured', 503, 'evidence export is disabled: EXPORT_SIGNING_KEY is not configured');

const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'video/mp4': 'mp4' };

function manifestOrder(cfg: Config, o: OrderRecord): Record<string, unknown> {
  const pii = maskedPii(cfg, o);
  return {
    appId: o.appId,
    appKey: appKeyOf(cfg, o.appId),
    orderNo: o.orderNo,
    product: o.product,
    status: o.status,
    source: o.source,
    callbackCode: o.callbackCode,
    h5faceId: o.h5faceId,
    verifiedAt: o.verifiedAt,
    resultCode: o.resultCode,
    resultMsg: o.resultMsg,
    bizSeqNo: o.bizSeqNo,
    liveRate: o.liveRate,
    similarity: o.similarity,
    occurredTime: o.occurredTime,
    idType: o.idType,
    idNoMasked: pii.idNo,
    nameMasked: pii.name,
    details: o.details,
    userRef: o.userRef,
    createdAt: o.createdAt,
    archivedAt: o.archivedAt,
    archiveAttempts: o.archiveAttempts,
  };
}

/** Passes bytes through while hashing them. */
function hashing(onDone: (sha256: string, bytes: number) => void): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, next) {
      hash.update(chunk);
      bytes += chunk.length;
      next(null, chunk);
    },
    flush(next) {
      onDone(hash.digest('hex'), bytes);
      next();
    },
  });
}

/**
 * Writes the package for an order to `outPath`. Each file is streamed from S3 into the zip
 * once, hashed on the way; if any differs from its recorded SHA-256 or size, the partial file
 * is removed and an `integrity_failed` error is thrown, so no package ever vouches for altered
 * evidence. Returns the manifest and the package's own SHA-256.
 */
export async function writeExportPackage(
  deps: { cfg: Config; evidence: EvidenceAccess; db: Db },
  order: OrderRecord,
  opts: {
    exportedBy: string;
    outPath: string;
    signer?: Signer;
    now?: Date;
    purpose?: string;
    ctx: AuditContext;
    /** Staff confirmed exporting a package that lacks files (it says so in its manifest). */
    acceptIncomplete?: boolean;
  },
): Promise<{ manifest: Manifest; sha256: string; bytes: number }> {
  const signer = opts.signer ?? loadSigner(deps.cfg);
  if (!signer) throw exportNotConfigured();
  // Evidence already found altered or missing is never packaged (verify clears the mark when it matches again).
  if (order.evidence.some((e) => e.integrityFailedAt)) throw integrityFailed();
  const completeness = packageCompleteness(order, deps.cfg.apps.find((a) => a.appId === order.appId)?.requiredFiles);
  if (!completeness.complete && !opts.acceptIncomplete) throw packageIncomplete(completeness);
  const now = opts.now ?? new Date();
  const zip = new ZipFile();
  let zipSha = '';
  let zipBytes = 0;
  const written = pipeline(
    zip.outputStream,
    hashing((s, b) => ((zipSha = s), (zipBytes = b))),
    createWriteStream(opts.outPath),
  );
  const zipFailed = new Promise<never>((_, reject) => zip.on('error', reject));
  written.catch(() => undefined);
  zipFailed.catch(() => undefined);

  try {
    const files: ManifestFile[] = [];
    const problems: string[] = [];
    const failed: FailedFile[] = [];
    const streamed: Promise<void>[] = [];
    for (const e of order.evidence) {
      const path = `evidence/${e.kind}.${EXT[e.contentType] ?? 'bin'}`;
      streamed.push(
        new Promise<void>((resolve, reject) => {
          zip.addReadStreamLazy(path, { compress: false, mtime: e.storedAt }, (cb) => {
            deps.evidence.get(e.key).then(
              (obj) => {
                const tap = hashing((sha256, bytes) => {
                  if (sha256 !== e.sha256 || bytes !== Number(e.bytes)) {
                    problems.push(e.kind);
                    failed.push({
                      kind: e.kind,
                      problem: bytes === Number(e.bytes) ? 'mismatch' : 'size',
                      expectedSha256: e.sha256,
                      actualSha256: sha256,
                      actualBytes: bytes,
                    });
                  }
                  files.push({
                    path,
                    kind: e.kind,
                    contentType: e.contentType,
                    bytes: Number(e.bytes),
                    sha256: e.sha256,
                    storedAt: e.storedAt.toISOString(),
                    objectKey: e.key,
                  });
                  resolve();
                });
                obj.body.once('error', (err) => {
                  tap.destroy(err);
                  reject(err);
                });
                cb(null, obj.body.pipe(tap));
              },
              (err: unknown) => {
                if (isMissingObject(err))
                  failed.push({ kind: e.kind, problem: 'missing', expectedSha256: e.sha256, actualSha256: null });
                reject(err instanceof Error ? err : new Error(String(err)));
                cb(err, undefined as unknown as Readable);
              },
            );
          });
        }),
      );
    }
    await Promise.race([Promise.all(streamed), zipFailed]).catch(async (err: unknown) => {
      if (failed.length) await recordIntegrityFailure(deps.db, { order, via: 'export', files: failed }, opts.ctx);
      throw err;
    });
    if (problems.length) {
      await recordIntegrityFailure(deps.db, { order, via: 'export', files: failed }, opts.ctx);
      throw new AppError(
        'integrity_failed',
        409,
        `stored evidence does not match its recorded SHA-256 (${problems.join(', ')}); run verify`,
        { kinds: problems },
      );
    }
    files.sort((a, b) => a.path.localeCompare(b.path));
    const manifest: Manifest = {
      format: PACKAGE_FORMAT,
      exportedAt: now.toISOString(),
      exportedBy: opts.exportedBy,
      ...(opts.purpose ? { purpose: opts.purpose } : {}),
      readable: readableSummary({
        orderNo: order.orderNo,
        appKey: appKeyOf(deps.cfg, order.appId),
        status: order.status,
        product: order.product,
        resultCode: order.resultCode,
        details: order.details,
        exportedAt: now,
        exportedBy: opts.exportedBy,
        purpose: opts.purpose,
        files: files.map((f) => ({ kind: f.kind, sha256: f.sha256 })),
      }),
      personalData: 'masked',
      order: manifestOrder(deps.cfg, order),
      callbackEvents: order.events.map((c) => ({
        id: c.id.toString(),
        channel: c.channel,
        appId: c.appId,
        orderNo: c.orderNo,
        code: c.code,
        verdict: c.verdict,
        reason: c.reason,
        ticketMatched: c.ticketMatched,
        params: c.params,
        clientIp: c.clientIp,
        userAgent: c.userAgent,
        createdAt: c.createdAt,
        repeatCount: c.repeatCount,
        lastSeenAt: c.lastSeenAt,
      })),
      // Every verified event is listed above; refused ones beyond the newest are only counted here.
      callbackEventSummary: order.eventCounts,
      timeline: order.timeline.map((t) => ({
        id: t.id.toString(),
        type: t.type,
        detail: t.detail,
        createdAt: t.createdAt,
      })),
      files,
      completeness,
      signature: { algorithm: 'Ed25519', file: SIGNATURE, publicKeySha256: signer.fingerprint },
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
    const signature = sign(null, manifestBytes, signer.privateKey);
    zip.addBuffer(manifestBytes, MANIFEST, { mtime: now });
    zip.addBuffer(Buffer.from(`${signature.toString('base64')}\n`), SIGNATURE, { mtime: now });
    zip.addBuffer(Buffer.from(signer.publicKeyPem), PUBLIC_KEY, { mtime: now });
    zip.end();
    await Promise.race([written, zipFailed]);
    return { manifest, sha256: zipSha, bytes: zipBytes };
  } catch (err) {
    (zip.outputStream as Readable).destroy();
    await written.catch(() => undefined);
    await rm(opts.outPath, { force: true });
    throw err;
  }
}

export interface FileReport {
  path: string;
  ok: boolean;
  expectedSha256: string;
  actualSha256: string | null;
  expectedBytes: number;
  actualBytes: number | null;
}

/** Where a trusted key came from: never the package. */
export type TrustSource = 'given' | 'config' | 'trust-list';

/**
 * A key the checker trusts, got outside the package: its public key PEM, or the fingerprint
 * (SHA-256 of the SPKI, hex) published by the signer, which the package's own key must match.
 */
export type TrustedKey = { source: TrustSource } & ({ pem: string } | { fingerprint: string });

/** Normalises a published fingerprint: hex, optionally `sha256:`-prefixed or colon-separated. */
export function parseFingerprint(value: string): string | undefined {
  const hex = value
    .trim()
    .replace(/^sha256:/i, '')
    .replace(/:/g, '')
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

export interface PackageReport {
  /** True only when the verdict is `ok`. */
  ok: boolean;
  /**
   * ok: intact and signed by a trusted key. unverified: intact and consistent, but no trusted key
   * was given, so who made it is unknown (a re-signed forgery looks exactly like this). failed:
   * anything wrong, including a signature no trusted key matches.
   */
  verdict: 'ok' | 'unverified' | 'failed';
  signature: {
    /** The signature matches the key it was checked with. */
    ok: boolean;
    /** Where the verifying key came from; `package` means consistency only, never origin. */
    keySource: TrustSource | 'package' | 'none';
    fingerprint: string | null;
    /** True only when checked against a trusted key (never one taken from the package). */
    originProven: boolean;
  };
  files: FileReport[];
  problems: string[];
  manifest?: Manifest;
  /** The package is incomplete (or does not say) and the checker accepted that. */
  incompleteAccepted?: boolean;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: true }, (err, z) =>
      err ? reject(err) : resolve(z),
    ),
  );
}

function readEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

function entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, max = 16 * 1024 * 1024): Promise<Buffer> {
  if (entry.uncompressedSize > max) throw new Error(`${entry.fileName} is too large`);
  const chunks: Buffer[] = [];
  for await (const chunk of await entryStream(zip, entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function hashEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await entryStream(zip, entry)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Checks a package offline: the signature over manifest.json, then every listed file's size
 * and SHA-256; extra, missing or duplicated entries are problems too. Only `trusted` keys (and
 * `publicKeyPem`, one given key) prove origin; without any, the signature is checked against the
 * package's own key for consistency and the verdict is at best `unverified`.
 */
export async function checkExportPackage(
  file: string,
  opts: { publicKeyPem?: string; keySource?: TrustSource; trusted?: TrustedKey[]; acceptIncomplete?: boolean } = {},
): Promise<PackageReport> {
  const problems: string[] = [];
  const report: PackageReport = {
    ok: false,
    verdict: 'failed',
    signature: { ok: false, keySource: 'none', fingerprint: null, originProven: false },
    files: [],
    problems,
  };
  const trusted: TrustedKey[] = [
    ...(opts.publicKeyPem ? [{ pem: opts.publicKeyPem, source: opts.keySource ?? 'given' }] : []),
    ...(opts.trusted ?? []),
  ];
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (err) {
    problems.push(`not a readable zip: ${(err as Error).message}`);
    return report;
  }
  try {
    let entries: yauzl.Entry[];
    try {
      entries = await readEntries(zip);
    } catch (err) {
      problems.push(`corrupt zip: ${(err as Error).message}`);
      return report;
    }
    const byName = new Map<string, yauzl.Entry>();
    for (const e of entries) {
      if (byName.has(e.fileName)) problems.push(`duplicate entry ${e.fileName}`);
      byName.set(e.fileName, e);
    }
    const manifestEntry = byName.get(MANIFEST);
    const sigEntry = byName.get(SIGNATURE);
    if (!manifestEntry || !sigEntry) {
      problems.push(`missing ${!manifestEntry ? MANIFEST : SIGNATURE}`);
      return report;
    }
    const manifestBytes = await readEntry(zip, manifestEntry);
    const signature = Buffer.from((await readEntry(zip, sigEntry, 4096)).toString('utf8').trim(), 'base64');
    const keyEntry = byName.get(PUBLIC_KEY);
    let packageKey: KeyObject | undefined;
    if (keyEntry) {
      try {
        packageKey = createPublicKey((await readEntry(zip, keyEntry, 4096)).toString('utf8'));
      } catch (err) {
        if (!trusted.length) problems.push(`unusable public key in the package: ${(err as Error).message}`);
      }
    }
    const signedBy = (key: KeyObject) =>
      key.asymmetricKeyType === 'ed25519' && signature.length === 64 && verify(null, manifestBytes, key, signature);

    // The keys to check with: the trusted ones, and the package's own only when a trusted fingerprint names it.
    const candidates: { key: KeyObject; source: TrustSource }[] = [];
    for (const t of trusted) {
      if ('pem' in t) {
        try {
          candidates.push({ key: createPublicKey(t.pem), source: t.source });
        } catch (err) {
          problems.push(`unusable trusted key: ${(err as Error).message}`);
        }
      } else if (packageKey && keyFingerprint(packageKey) === parseFingerprint(t.fingerprint)) {
        candidates.push({ key: packageKey, source: t.source });
      }
    }
    let key: KeyObject | undefined;
    if (trusted.length) {
      const match = candidates.find((c) => signedBy(c.key));
      key = match?.key ?? candidates[0]?.key ?? packageKey;
      report.signature.keySource = match?.source ?? candidates[0]?.source ?? (packageKey ? 'package' : 'none');
      report.signature.ok = match !== undefined;
      report.signature.originProven = match !== undefined;
      if (!match) {
        problems.push(
          candidates.length
            ? 'the signature does not match manifest.json with any trusted key'
            : `the package is signed with a key that is not trusted (${packageKey ? keyFingerprint(packageKey) : 'none in the package'})`,
        );
      }
    } else if (packageKey) {
      key = packageKey;
      report.signature.keySource = 'package';
      report.signature.ok = signedBy(packageKey);
      if (!report.signature.ok) problems.push('the signature does not match manifest.json');
    } else if (!keyEntry) {
      problems.push(`no trusted key given and none in the package (${PUBLIC_KEY})`);
    }
    if (key) {
      if (key.asymmetricKeyType !== 'ed25519') problems.push('the public key is not an Ed25519 key');
      report.signature.fingerprint = keyFingerprint(key);
    }

    let manifest: Manifest;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
    } catch {
      problems.push('manifest.json is not valid JSON');
      return report;
    }
    if (
      (manifest.format !== PACKAGE_FORMAT && manifest.format !== PACKAGE_FORMAT_V1) ||
      !Array.isArray(manifest.files)
    ) {
      problems.push(`unknown manifest format ${String(manifest.format)}`);
      return report;
    }
    report.manifest = manifest;
    if (key && manifest.signature?.publicKeySha256 !== report.signature.fingerprint) {
      problems.push('the manifest names a different signing key than the one used to check');
    }
    const listed = new Set<string>([MANIFEST, SIGNATURE, PUBLIC_KEY]);
    for (const f of manifest.files) {
      listed.add(f.path);
      const entry = byName.get(f.path);
      if (!entry) {
        report.files.push({
          path: f.path,
          ok: false,
          expectedSha256: f.sha256,
          actualSha256: null,
          expectedBytes: f.bytes,
          actualBytes: null,
        });
        problems.push(`missing file ${f.path}`);
        continue;
      }
      let actual: { sha256: string; bytes: number };
      try {
        actual = await hashEntry(zip, entry);
      } catch (err) {
        report.files.push({
          path: f.path,
          ok: false,
          expectedSha256: f.sha256,
          actualSha256: null,
          expectedBytes: f.bytes,
          actualBytes: null,
        });
        problems.push(`${f.path} cannot be read: ${(err as Error).message}`);
        continue;
      }
      const ok = actual.sha256 === f.sha256 && actual.bytes === f.bytes;
      report.files.push({
        path: f.path,
        ok,
        expectedSha256: f.sha256,
        actualSha256: actual.sha256,
        expectedBytes: f.bytes,
        actualBytes: actual.bytes,
      });
      if (!ok) problems.push(`${f.path} does not match its SHA-256 in the manifest`);
    }
    for (const name of byName.keys()) if (!listed.has(name)) problems.push(`unlisted entry ${name}`);
    checkCompleteness(manifest, report, opts.acceptIncomplete === true);
    report.verdict =
      problems.length > 0 || !report.signature.ok ? 'failed' : report.signature.originProven ? 'ok' : 'unverified';
    report.ok = report.verdict === 'ok';
    return report;
  } finally {
    zip.close();
  }
}

/**
 * A package must say it is complete, and hold what it says: an incomplete one (or a @1 package,
 * which does not say) is a problem unless the checker accepts it explicitly.
 */
function checkCompleteness(manifest: Manifest, report: PackageReport, accept: boolean): void {
  const c = manifest.completeness;
  const kinds = new Set(manifest.files.map((f) => f.kind));
  if (c?.complete) {
    const absent = c.expected.filter((k) => !kinds.has(k));
    if (absent.length > 0 || kinds.size === 0)
      report.problems.push(`the manifest says complete but lacks ${absent.join(', ') || 'any file'}`);
    return;
  }
  if (accept) {
    report.incompleteAccepted = true;
    return;
  }
  report.problems.push(
    c
      ? `incomplete package (${c.reason ?? 'incomplete'}${c.missing.length ? `: missing ${c.missing.join(', ')}` : ''}); accept it explicitly with --accept-incomplete`
      : 'the manifest does not state its completeness (format @1): incomplete unless accepted with --accept-incomplete',
  );
}
