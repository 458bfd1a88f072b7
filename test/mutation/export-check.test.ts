import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import {
  checkExportPackage,
  exportNotConfigured,
  keyFingerprint,
  loadSigner,
  PACKAGE_FORMAT,
  PACKAGE_FORMAT_V1,
  parseFingerprint,
  type TrustedKey,
} from '../../src/shared/compliance/export-package';

// Checking evidence packages offline: signature and origin (trusted keys only), every file's
// size and SHA-256, the entries themselves and the stated completeness. Packages are built here
// byte by byte, as a forger would, so each check meets the case it exists for.
const ed = () => generateKeyPairSync('ed25519');
const signerKeys = ed();
const otherKeys = ed();
const pemOf = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const PHOTO = Buffer.from('photo bytes');
const VIDEO = Buffer.from('video bytes, a few more');

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'export-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Build {
  manifest?: (m: Record<string, any>) => void;
  manifestBytes?: (b: Buffer) => Buffer;
  /** Entries after signing: replace (Buffer), drop (null) or add. */
  entries?: (e: [string, Buffer][]) => [string, Buffer][];
  signWith?: KeyObject;
  packageKey?: string | null;
  signature?: (s: Buffer) => Buffer;
}

async function zipOf(entries: [string, Buffer][]): Promise<string> {
  const zip = new ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name);
  zip.end();
  const file = join(dir, `p${n++}.zip`);
  await pipeline(zip.outputStream, createWriteStream(file));
  return file;
}

async function pkg(b: Build = {}): Promise<string> {
  const manifest: Record<string, any> = {
    format: PACKAGE_FORMAT,
    exportedAt: '2026-06-01T12:00:00.000Z',
    exportedBy: 'staff-1',
    personalData: 'masked',
    order: { orderNo: 'o1' },
    callbackEvents: [],
    timeline: [],
    files: [
      { path: 'evidence/photo.jpg', kind: 'photo', contentType: 'image/jpeg', bytes: PHOTO.length, sha256: sha(PHOTO) },
      { path: 'evidence/video.mp4', kind: 'video', contentType: 'video/mp4', bytes: VIDEO.length, sha256: sha(VIDEO) },
    ],
    completeness: {
      complete: true,
      expected: ['photo', 'video'],
      present: ['photo', 'video'],
      missing: [],
      reason: null,
    },
    signature: { algorithm: 'Ed25519', file: 'manifest.sig', publicKeySha256: keyFingerprint(signerKeys.publicKey) },
  };
  b.manifest?.(manifest);
  let bytes: Buffer = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const sig = sign(null, bytes, b.signWith ?? signerKeys.privateKey);
  if (b.manifestBytes) bytes = b.manifestBytes(bytes);
  let entries: [string, Buffer][] = [
    ['evidence/photo.jpg', PHOTO],
    ['evidence/video.mp4', VIDEO],
    ['manifest.json', bytes],
    ['manifest.sig', Buffer.from(`${(b.signature ? b.signature(sig) : sig).toString('base64')}\n`)],
  ];
  const key = b.packageKey === undefined ? pemOf(signerKeys.publicKey) : b.packageKey;
  if (key !== null) entries.push(['signing-key.pem', Buffer.from(key)]);
  if (b.entries) entries = b.entries(entries);
  return zipOf(entries);
}

const trustedPem = (k: KeyObject = signerKeys.publicKey, source: TrustedKey['source'] = 'config'): TrustedKey => ({
  pem: pemOf(k),
  source,
});

describe('signature and origin', () => {
  test('when a package is signed by a trusted key, then it is ok with its origin proven and every file reported', async () => {
    const report = await checkExportPackage(await pkg(), { trusted: [trustedPem()] });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      verdict: 'ok',
      signature: {
        ok: true,
        keySource: 'config',
        fingerprint: keyFingerprint(signerKeys.publicKey),
        originProven: true,
      },
    });
    expect(report.files).toEqual([
      {
        path: 'evidence/photo.jpg',
        ok: true,
        expectedSha256: sha(PHOTO),
        actualSha256: sha(PHOTO),
        expectedBytes: PHOTO.length,
        actualBytes: PHOTO.length,
      },
      {
        path: 'evidence/video.mp4',
        ok: true,
        expectedSha256: sha(VIDEO),
        actualSha256: sha(VIDEO),
        expectedBytes: VIDEO.length,
        actualBytes: VIDEO.length,
      },
    ]);
    expect(report.manifest?.exportedBy).toBe('staff-1');
    expect(report.incompleteAccepted).toBeUndefined();
  });

  test('when one key is given directly, then it is trusted as `given` (or as the source named)', async () => {
    const file = await pkg();
    const given = await checkExportPackage(file, { publicKeyPem: pemOf(signerKeys.publicKey) });
    expect(given).toMatchObject({ verdict: 'ok', signature: { keySource: 'given', originProven: true } });
    const listed = await checkExportPackage(file, {
      publicKeyPem: pemOf(signerKeys.publicKey),
      keySource: 'trust-list',
    });
    expect(listed.signature.keySource).toBe('trust-list');
  });

  test('when a trusted fingerprint names the package key, then that key proves origin, in any published spelling', async () => {
    const fp = keyFingerprint(signerKeys.publicKey);
    const file = await pkg();
    for (const spelling of [fp, `sha256:${fp.toUpperCase()}`, fp.match(/../g)!.join(':'), `  ${fp}  `]) {
      const report = await checkExportPackage(file, { trusted: [{ fingerprint: spelling, source: 'trust-list' }] });
      expect(report).toMatchObject({
        verdict: 'ok',
        signature: { ok: true, keySource: 'trust-list', fingerprint: fp },
      });
    }
  });

  test('when no trusted key is given, then a consistent package is only `unverified`', async () => {
    const report = await checkExportPackage(await pkg());
    expect(report).toMatchObject({
      ok: false,
      verdict: 'unverified',
      problems: [],
      signature: {
        ok: true,
        keySource: 'package',
        originProven: false,
        fingerprint: keyFingerprint(signerKeys.publicKey),
      },
    });
  });

  test('when a forger re-signs with a key of their own, then no trusted key matches and it fails naming that key', async () => {
    const forged = await pkg({
      signWith: otherKeys.privateKey,
      packageKey: pemOf(otherKeys.publicKey),
      manifest: (m) => (m.signature.publicKeySha256 = keyFingerprint(otherKeys.publicKey)),
    });
    // Consistent in itself, so without a trusted key it only looks unverified…
    expect((await checkExportPackage(forged)).verdict).toBe('unverified');
    // …and a trusted fingerprint that is not the package's own key leaves nothing to check with.
    const byFp = await checkExportPackage(forged, {
      trusted: [{ fingerprint: keyFingerprint(signerKeys.publicKey), source: 'config' }],
    });
    expect(byFp).toMatchObject({
      ok: false,
      verdict: 'failed',
      signature: { ok: false, keySource: 'package', originProven: false },
    });
    expect(byFp.problems).toEqual([
      `the package is signed with a key that is not trusted (${keyFingerprint(otherKeys.publicKey)})`,
    ]);
    // With the trusted PEM the signature is checked and does not match.
    const byPem = await checkExportPackage(forged, { trusted: [trustedPem()] });
    expect(byPem).toMatchObject({
      verdict: 'failed',
      signature: {
        ok: false,
        keySource: 'config',
        originProven: false,
        fingerprint: keyFingerprint(signerKeys.publicKey),
      },
    });
    expect(byPem.problems).toEqual([
      'the signature does not match manifest.json with any trusted key',
      'the manifest names a different signing key than the one used to check',
    ]);
  });

  test('when several keys are trusted, then the one that matches is used, whatever the order', async () => {
    const report = await checkExportPackage(await pkg(), {
      trusted: [trustedPem(otherKeys.publicKey, 'trust-list'), trustedPem(signerKeys.publicKey, 'config')],
    });
    expect(report).toMatchObject({ verdict: 'ok', signature: { keySource: 'config', ok: true } });
  });

  test('when the package holds no key and the trusted fingerprint cannot be checked, then it fails saying so', async () => {
    const file = await pkg({ packageKey: null });
    const report = await checkExportPackage(file, {
      trusted: [{ fingerprint: keyFingerprint(signerKeys.publicKey), source: 'config' }],
    });
    expect(report.signature).toEqual({ ok: false, keySource: 'none', fingerprint: null, originProven: false });
    expect(report.problems).toEqual(['the package is signed with a key that is not trusted (none in the package)']);
    const none = await checkExportPackage(file);
    expect(none.verdict).toBe('failed');
    expect(none.problems).toEqual(['no trusted key given and none in the package (signing-key.pem)']);
    // A trusted key alone is enough.
    expect((await checkExportPackage(file, { trusted: [trustedPem()] })).verdict).toBe('ok');
  });

  test('when the manifest or signature was altered, then the signature check fails', async () => {
    const edited = await pkg({ manifestBytes: (b) => Buffer.from(b.toString().replace('staff-1', 'staff-2')) });
    for (const opts of [{}, { trusted: [trustedPem()] }]) {
      const report = await checkExportPackage(edited, opts);
      expect(report.verdict).toBe('failed');
      expect(report.signature.ok).toBe(false);
    }
    expect((await checkExportPackage(edited)).problems).toEqual(['the signature does not match manifest.json']);
    const flipped = await pkg({ signature: (s) => Buffer.from(s.map((x, i) => (i === 0 ? x ^ 1 : x))) });
    expect((await checkExportPackage(flipped, { trusted: [trustedPem()] })).signature.ok).toBe(false);
    const short = await pkg({ signature: (s) => s.subarray(0, 63) });
    expect((await checkExportPackage(short, { trusted: [trustedPem()] })).signature.ok).toBe(false);
  });

  test('when keys are unusable or not Ed25519, then that is a problem, never a pass', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsaPkg = await pkg({ packageKey: pemOf(rsa.publicKey) });
    const rsaReport = await checkExportPackage(rsaPkg);
    expect(rsaReport.verdict).toBe('failed');
    expect(rsaReport.problems).toEqual([
      'the signature does not match manifest.json',
      'the public key is not an Ed25519 key',
      'the manifest names a different signing key than the one used to check',
    ]);
    const rsaTrusted = await checkExportPackage(await pkg(), { trusted: [trustedPem(rsa.publicKey)] });
    expect(rsaTrusted.signature.ok).toBe(false);
    expect(rsaTrusted.problems).toContain('the public key is not an Ed25519 key');

    const garbled = await pkg({ packageKey: 'not a key' });
    const g = await checkExportPackage(garbled);
    expect(g.verdict).toBe('failed');
    expect(g.problems[0]).toMatch(/^unusable public key in the package: /);
    expect(g.signature.keySource).toBe('none');
    // With a trusted key the package's own key does not matter.
    expect((await checkExportPackage(garbled, { trusted: [trustedPem()] })).problems).toEqual([]);

    const badTrusted = await checkExportPackage(await pkg(), { trusted: [{ pem: 'nonsense', source: 'given' }] });
    expect(badTrusted.problems[0]).toMatch(/^unusable trusted key: /);
    expect(badTrusted.signature).toMatchObject({ ok: false, keySource: 'package' });
  });
});

describe('entries and files', () => {
  test('when a file was altered, resized, dropped or an entry added or doubled, then each is a problem', async () => {
    const file = await pkg({
      entries: (e) => [
        ...e
          .filter(([name]) => name !== 'evidence/video.mp4')
          .map(([name, data]): [string, Buffer] =>
            name === 'evidence/photo.jpg' ? [name, Buffer.from('PHOTO BYTES')] : [name, data],
          ),
        ['extra.txt', Buffer.from('x')],
        ['extra.txt', Buffer.from('y')],
      ],
    });
    const report = await checkExportPackage(file, { trusted: [trustedPem()] });
    expect(report.verdict).toBe('failed');
    expect(report.problems).toEqual([
      'duplicate entry extra.txt',
      'evidence/photo.jpg does not match its SHA-256 in the manifest',
      'missing file evidence/video.mp4',
      'unlisted entry extra.txt',
    ]);
    expect(report.files).toEqual([
      {
        path: 'evidence/photo.jpg',
        ok: false,
        expectedSha256: sha(PHOTO),
        actualSha256: sha(Buffer.from('PHOTO BYTES')),
        expectedBytes: PHOTO.length,
        actualBytes: PHOTO.length,
      },
      {
        path: 'evidence/video.mp4',
        ok: false,
        expectedSha256: sha(VIDEO),
        actualSha256: null,
        expectedBytes: VIDEO.length,
        actualBytes: null,
      },
    ]);
  });

  test('when a file has the right hash listed but another size, then it fails too', async () => {
    const file = await pkg({ manifest: (m) => (m.files[0].bytes += 1) });
    const report = await checkExportPackage(file, { trusted: [trustedPem()] });
    expect(report.problems).toEqual(['evidence/photo.jpg does not match its SHA-256 in the manifest']);
    expect(report.files[0]).toMatchObject({ ok: false, actualSha256: sha(PHOTO), actualBytes: PHOTO.length });
  });

  test('when manifest.json or manifest.sig is missing, then that is the one problem', async () => {
    for (const gone of ['manifest.json', 'manifest.sig']) {
      const file = await pkg({ entries: (e) => e.filter(([name]) => name !== gone) });
      const report = await checkExportPackage(file, { trusted: [trustedPem()] });
      expect(report).toMatchObject({ ok: false, verdict: 'failed', problems: [`missing ${gone}`] });
      expect(report.manifest).toBeUndefined();
    }
  });

  test('when the file is not a zip, or a cut-off one, then it fails as unreadable', async () => {
    const notZip = join(dir, 'not.zip');
    await writeFile(notZip, 'plain text');
    const r1 = await checkExportPackage(notZip);
    expect(r1.verdict).toBe('failed');
    expect(r1.problems).toHaveLength(1);
    expect(r1.problems[0]).toMatch(/^not a readable zip: /);
  });

  test('when manifest.json is not JSON or of an unknown format, then it fails without a manifest', async () => {
    const notJson = await pkg({ manifestBytes: () => Buffer.from('{ nope') });
    const r1 = await checkExportPackage(notJson, { trusted: [trustedPem()] });
    expect(r1.problems).toEqual([
      'the signature does not match manifest.json with any trusted key',
      'manifest.json is not valid JSON',
    ]);
    expect(r1.manifest).toBeUndefined();
    const unknown = await pkg({ manifest: (m) => (m.format = 'someone-else@1') });
    const r2 = await checkExportPackage(unknown, { trusted: [trustedPem()] });
    expect(r2.problems).toEqual(['unknown manifest format someone-else@1']);
    expect(r2.manifest).toBeUndefined();
    expect(r2.verdict).toBe('failed');
    const noFiles = await pkg({ manifest: (m) => (m.files = 'none') });
    expect((await checkExportPackage(noFiles, { trusted: [trustedPem()] })).problems).toEqual([
      `unknown manifest format ${PACKAGE_FORMAT}`,
    ]);
  });
});

describe('completeness', () => {
  const incomplete = {
    complete: false,
    expected: ['photo', 'video'],
    present: ['photo'],
    missing: ['video'],
    reason: 'missing',
  };

  test('when a package says it is incomplete, then it fails unless accepted, and says what is missing', async () => {
    const file = await pkg({ manifest: (m) => (m.completeness = incomplete) });
    const refused = await checkExportPackage(file, { trusted: [trustedPem()] });
    expect(refused.verdict).toBe('failed');
    expect(refused.problems).toEqual([
      'incomplete package (missing: missing video); accept it explicitly with --accept-incomplete',
    ]);
    const accepted = await checkExportPackage(file, { trusted: [trustedPem()], acceptIncomplete: true });
    expect(accepted).toMatchObject({ ok: true, verdict: 'ok', incompleteAccepted: true, problems: [] });
  });

  test('when the reason or missing list is absent, then the words still say incomplete', async () => {
    const file = await pkg({
      manifest: (m) => (m.completeness = { ...incomplete, reason: null, missing: [] }),
    });
    expect((await checkExportPackage(file, { trusted: [trustedPem()] })).problems).toEqual([
      'incomplete package (incomplete); accept it explicitly with --accept-incomplete',
    ]);
    const status = await pkg({
      manifest: (m) => (m.completeness = { ...incomplete, reason: 'status:FAILED', missing: ['photo', 'video'] }),
    });
    expect((await checkExportPackage(status, { trusted: [trustedPem()] })).problems).toEqual([
      'incomplete package (status:FAILED: missing photo, video); accept it explicitly with --accept-incomplete',
    ]);
  });

  test('when an @1 package does not state completeness, then it is incomplete unless accepted', async () => {
    const file = await pkg({
      manifest: (m) => {
        m.format = PACKAGE_FORMAT_V1;
        delete m.completeness;
      },
    });
    const refused = await checkExportPackage(file, { trusted: [trustedPem()] });
    expect(refused.problems).toEqual([
      'the manifest does not state its completeness (format @1): incomplete unless accepted with --accept-incomplete',
    ]);
    expect(refused.manifest?.format).toBe(PACKAGE_FORMAT_V1);
    expect((await checkExportPackage(file, { trusted: [trustedPem()], acceptIncomplete: true })).verdict).toBe('ok');
  });

  test('when a package claims complete but holds no files, then that claim is a problem, accepted or not', async () => {
    const empty = await pkg({
      manifest: (m) => {
        m.files = [];
        m.completeness = { complete: true, expected: [], present: [], missing: [], reason: null };
      },
      entries: (e) => e.filter(([name]) => !name.startsWith('evidence/')),
    });
    for (const acceptIncomplete of [false, true]) {
      const report = await checkExportPackage(empty, { trusted: [trustedPem()], acceptIncomplete });
      expect(report.problems).toEqual(['the manifest says complete but lacks any file']);
      expect(report.incompleteAccepted).toBeUndefined();
    }
    const lacking = await pkg({
      manifest: (m) => (m.files = m.files.slice(0, 1)),
      entries: (e) => e.filter(([name]) => name !== 'evidence/video.mp4'),
    });
    const report = await checkExportPackage(lacking, { trusted: [trustedPem()], acceptIncomplete: true });
    expect(report.problems).toEqual(['the manifest says complete but lacks video']);
  });
});

describe('keys and fingerprints', () => {
  test('when a fingerprint is published, then hex in any case, with sha256: or colons, is read; anything else is not', () => {
    const fp = 'ab'.repeat(32);
    expect(parseFingerprint(fp)).toBe(fp);
    expect(parseFingerprint(`SHA256:${'AB:'.repeat(31)}AB`)).toBe(fp);
    expect(parseFingerprint(` sha256:${fp} `)).toBe(fp);
    for (const bad of ['ab'.repeat(31), 'ab'.repeat(33), `${'ab'.repeat(31)}zz`, `x${fp}`, `${fp}sha256:`, '']) {
      expect(parseFingerprint(bad)).toBeUndefined();
    }
  });

  test('when the signing key is configured as PEM or base64 of it, then the signer carries its public key and fingerprint', () => {
    const pem = signerKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const value of [pem, Buffer.from(pem).toString('base64')]) {
      const signer = loadSigner({ EXPORT_SIGNING_KEY: value })!;
      expect(signer.publicKeyPem).toBe(pemOf(signerKeys.publicKey));
      expect(signer.fingerprint).toBe(keyFingerprint(signerKeys.publicKey));
      expect(signer.fingerprint).toBe(
        createHash('sha256')
          .update(signerKeys.publicKey.export({ type: 'spki', format: 'der' }))
          .digest('hex'),
      );
      expect(signer.publicKey.equals(signerKeys.publicKey)).toBe(true);
      expect(signer.privateKey.equals(signerKeys.privateKey)).toBe(true);
    }
    expect(loadSigner({ EXPORT_SIGNING_KEY: '' })).toBeUndefined();
    expect(loadSigner({})).toBeUndefined();
  });

  test('when exports are not configured, then the error says so with its own code and 503', () => {
    expect(exportNotConfigured()).toMatchObject({
      code: 'export_not_configured',
      status: 503,
      message: 'evidence export is disabled: EXPORT_SIGNING_KEY is not configured',
    });
  });
});
