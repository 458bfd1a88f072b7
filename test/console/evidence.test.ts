import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash, createPublicKey } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { rezip } from './zip-tools';
import { checkExportPackage, keyFingerprint } from '../../src/shared/compliance/export-package';
import {
  auditRowsFor,
  call,
  createUser,
  login,
  PHOTO,
  seedOrder,
  signingKeys,
  startConsole,
  uid,
  VIDEO,
  type ConsoleHarness,
  type SeededOrder,
  type Session,
} from './harness';

let h: ConsoleHarness;
let viewer: Session;
let auditor: Session;
let order: SeededOrder;
const dir = mkdtempSync(path.join(tmpdir(), 'console-evidence-'));

beforeAll(async () => {
  h = await startConsole();
  viewer = await login(h, await createUser(h, 'viewer'));
  auditor = await login(h, await createUser(h, 'auditor'));
  order = await seedOrder(h);
});

afterAll(async () => {
  await h?.close();
});

const videoUrl = () => `/api/orders/${order.id}/evidence/video`;

describe('evidence streaming with HTTP Range', () => {
  test('when no Range is sent, then the whole object comes back with its type, length and hash as ETag', async () => {
    const res = await call(h, viewer, 'GET', videoUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Number(res.headers.get('content-length'))).toBe(VIDEO.length);
    expect(Buffer.from(await res.arrayBuffer()).equals(VIDEO)).toBe(true);
  });

  test('when a byte range is asked, then 206 with Content-Range and exactly those bytes', async () => {
    const res = await call(h, viewer, 'GET', videoUrl(), { headers: { range: 'bytes=100-1099' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-1099/${VIDEO.length}`);
    expect(Number(res.headers.get('content-length'))).toBe(1000);
    expect(Buffer.from(await res.arrayBuffer()).equals(VIDEO.subarray(100, 1100))).toBe(true);
  });

  test('when an open or suffix range is asked, then the tail comes back', async () => {
    const open = await call(h, viewer, 'GET', videoUrl(), { headers: { range: `bytes=${VIDEO.length - 10}-` } });
    expect(open.status).toBe(206);
    expect(Buffer.from(await open.arrayBuffer()).equals(VIDEO.subarray(VIDEO.length - 10))).toBe(true);
    const suffix = await call(h, viewer, 'GET', videoUrl(), { headers: { range: 'bytes=-16' } });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe(`bytes ${VIDEO.length - 16}-${VIDEO.length - 1}/${VIDEO.length}`);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(VIDEO.subarray(VIDEO.length - 16))).toBe(true);
  });

  test('when the range starts past the end or is reversed, then 416 with the size, audited as a failure', async () => {
    for (const range of [`bytes=${VIDEO.length}-`, 'bytes=500-100', 'bytes=-0']) {
      const ua = uid('ua-');
      const res = await call(h, viewer, 'GET', videoUrl(), { headers: { range, 'user-agent': ua } });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${VIDEO.length}`);
      const rows = await auditRowsFor(h, ua);
      // Played on the order page (no download=1): a view that failed, not a download.
      expect(rows.map((r) => [r.action, r.outcome])).toEqual([['view', 'failure']]);
    }
  });

  test('when the Range header is malformed or multi-range, then it is ignored and the whole object is sent', async () => {
    for (const range of ['bytes=abc', 'items=0-1', 'bytes=0-1,5-6']) {
      const res = await call(h, viewer, 'GET', videoUrl(), { headers: { range } });
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(VIDEO.length);
    }
  });

  test('when ?download=1 is given, then the file is an attachment named after the order', async () => {
    const res = await call(h, viewer, 'GET', `/api/orders/${order.id}/evidence/photo?download=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${order.orderNo}-photo.jpg"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(PHOTO)).toBe(true);
  });

  test('when the kind or the order does not exist, then 404 (audited as a failed download)', async () => {
    expect((await call(h, viewer, 'GET', `/api/orders/${order.id}/evidence/front_photo`)).status).toBe(404);
    expect(
      (await call(h, viewer, 'GET', `/api/orders/00000000-0000-4000-8000-000000000000/evidence/photo`)).status,
    ).toBe(404);
    expect((await call(h, viewer, 'GET', `/api/orders/not-a-uuid/evidence/photo`)).status).toBe(404);
  });
});

describe('personal data', () => {
  test('when a viewer opens an order, then the ID number and name are masked in JSON and HTML', async () => {
    const json = (await (await call(h, viewer, 'GET', `/api/orders/${order.id}`)).json()) as Record<string, unknown>;
    expect(json.idNo).toBe('11**************34');
    expect(json.name).toBe('张*');
    const page = await (
      await call(h, viewer, 'GET', `/orders/${order.id}`, { headers: { accept: 'text/html' } })
    ).text();
    expect(page).toContain('11**************34');
    expect(page).not.toContain('110101199001011234');
    expect(page).not.toContain('张三');
    expect(page).toContain('signature mismatch'); // the rejected forgery is listed
  });

  test('when an auditor reveals, then the full values come back and one reveal row is audited', async () => {
    const ua = uid('ua-');
    const res = await call(h, auditor, 'POST', `/api/orders/${order.id}/reveal`, {
      headers: { 'user-agent': ua },
      json: { purpose: 'ticket CS-1001' },
    });
    expect(await res.json()).toEqual({ idNo: '110101199001011234', name: '张三', idType: '01' });
    const rows = await auditRowsFor(h, ua);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'reveal', outcome: 'success', orderNo: order.orderNo, orderId: order.id });
    expect(rows[0]!.detail).toMatchObject({ purpose: 'ticket CS-1001' });
    expect(JSON.stringify(rows[0]!.detail)).not.toContain('110101');
  });

  test('when a search is malformed, then 400 names the field without echoing the value', async () => {
    const res = await call(h, viewer, 'GET', '/api/orders?from=110101199001011234&status=NOPE');
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toMatch(/from/);
    expect(text).toMatch(/status/);
    expect(text).not.toContain('110101199001011234');
  });
});

describe('integrity', () => {
  test('when the objects are intact, then verify passes and records one audit row and one timeline event', async () => {
    const ua = uid('ua-');
    const res = await call(h, viewer, 'POST', `/api/orders/${order.id}/verify`, { headers: { 'user-agent': ua } });
    const report = (await res.json()) as { ok: boolean; files: { kind: string; verdict: string }[] };
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => f.verdict)).toEqual(['ok', 'ok']);
    expect((await auditRowsFor(h, ua)).map((r) => [r.action, r.outcome])).toEqual([['verify', 'success']]);
    const events = await h.db.orderEvent.findMany({ where: { orderId: order.id, type: { startsWith: 'integrity' } } });
    expect(events.map((e) => e.type)).toContain('integrity_verified');
  });

  test('when an object was altered in S3, then verify reports the mismatch, the audit row and timeline say failed, and export is refused', async () => {
    const tampered = await seedOrder(h);
    const altered = Buffer.from(PHOTO);
    altered[200] = (altered[200]! + 1) % 256;
    await h.s3.client.send(
      new PutObjectCommand({ Bucket: h.s3.bucket, Key: tampered.photoKey, Body: altered, ContentType: 'image/jpeg' }),
    );

    const ua = uid('ua-');
    const res = await call(h, viewer, 'POST', `/api/orders/${tampered.id}/verify`, { headers: { 'user-agent': ua } });
    const report = (await res.json()) as {
      ok: boolean;
      files: { kind: string; verdict: string; actualSha256: string; expectedSha256: string }[];
    };
    expect(report.ok).toBe(false);
    const photo = report.files.find((f) => f.kind === 'photo')!;
    expect(photo.verdict).toBe('mismatch');
    expect(photo.actualSha256).not.toBe(photo.expectedSha256);
    expect(report.files.find((f) => f.kind === 'video')!.verdict).toBe('ok');
    const rows = await auditRowsFor(h, ua);
    // The finding (integrity, marked on the row) and the staff action (verify).
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([
      ['integrity', 'failure'],
      ['verify', 'failure'],
    ]);
    const events = await h.db.orderEvent.findMany({ where: { orderId: tampered.id, type: 'integrity_failed' } });
    expect(events).toHaveLength(1);
    expect(events[0]!.detail).toMatchObject({ via: 'verify', files: [{ kind: 'photo', problem: 'mismatch' }] });

    const ua2 = uid('ua-');
    const exp = await call(h, auditor, 'POST', `/api/orders/${tampered.id}/export`, {
      headers: { 'user-agent': ua2 },
      json: { purpose: 'ticket CS-1001' },
    });
    expect(exp.status).toBe(409);
    expect(((await exp.json()) as { error: string }).error).toBe('integrity_failed');
    expect((await auditRowsFor(h, ua2)).map((r) => [r.action, r.outcome])).toEqual([['export', 'failure']]);
  });

  test('when an object is gone from S3, then verify says missing', async () => {
    const gone = await seedOrder(h);
    await h.evidence.delete(gone.videoKey);
    const report = (await (await call(h, viewer, 'POST', `/api/orders/${gone.id}/verify`)).json()) as {
      ok: boolean;
      files: { kind: string; verdict: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.files.find((f) => f.kind === 'video')!.verdict).toBe('missing');
  });
});

describe('export package', () => {
  async function exportZip(o: SeededOrder): Promise<string> {
    const res = await call(h, auditor, 'POST', `/api/orders/${o.id}/export`, { json: { purpose: 'ticket CS-1001' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const file = path.join(dir, `${uid('pkg-')}.zip`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return file;
  }

  test('when exported, then the package checks out against the published key, with masked personal data', async () => {
    const file = await exportZip(order);
    const report = await checkExportPackage(file, { publicKeyPem: h.publicKeyPem });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.signature).toMatchObject({ ok: true, keySource: 'given', originProven: true });
    expect(report.files.map((f) => f.path).sort()).toEqual(['evidence/photo.jpg', 'evidence/video.mp4']);
    const m = report.manifest!;
    expect(m.order).toMatchObject({
      orderNo: order.orderNo,
      idNoMasked: '11**************34',
      nameMasked: '张*',
      resultCode: '0',
      liveRate: '99',
    });
    expect(m.callbackEvents.map((c) => c.verdict)).toEqual(['accepted', 'rejected']);
    expect(m.timeline.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(m)).not.toContain('110101199001011234');
  });

  test('when an auditor opens an order, then the page and the export name the signing key by its fingerprint', async () => {
    const fingerprint = keyFingerprint(createPublicKey(h.publicKeyPem));
    const page = await (
      await call(h, auditor, 'GET', `/orders/${order.id}`, { headers: { accept: 'text/html' } })
    ).text();
    expect(page).toContain(fingerprint);
    const res = await call(h, auditor, 'POST', `/api/orders/${order.id}/export`, {
      json: { purpose: 'ticket CS-1001' },
    });
    expect(res.headers.get('x-signing-key-sha256')).toBe(fingerprint);
    await res.arrayBuffer();
    // Checking by that fingerprint proves origin, as a PEM does.
    const file = await exportZip(order);
    const report = await checkExportPackage(file, { trusted: [{ fingerprint, source: 'given' }] });
    expect(report.verdict).toBe('ok');
  });

  test('when a file inside the package is altered, then the check fails on that file', async () => {
    const file = await exportZip(order);
    const zip = readFileSync(file);
    const at = zip.indexOf(VIDEO.subarray(0, 64)); // stored uncompressed: the bytes are in the zip as-is
    expect(at).toBeGreaterThan(0);
    zip[at + 2000] = (zip[at + 2000]! + 1) % 256;
    const bad = path.join(dir, 'tampered-file.zip');
    writeFileSync(bad, zip);
    const report = await checkExportPackage(bad, { publicKeyPem: h.publicKeyPem });
    expect(report.ok).toBe(false);
    expect(report.signature.ok).toBe(true);
    expect(report.files.find((f) => f.path === 'evidence/video.mp4')!.ok).toBe(false);
  });

  test('when the manifest is edited and the zip rebuilt, then the signature fails', async () => {
    const file = await exportZip(order);
    const bad = path.join(dir, 'tampered-manifest.zip');
    await rezip(file, bad, (name, data) =>
      name === 'manifest.json'
        ? Buffer.from(data.toString('utf8').replace('"liveRate": "99"', '"liveRate": "98"'))
        : data,
    );
    const report = await checkExportPackage(bad, { publicKeyPem: h.publicKeyPem });
    expect(report.ok).toBe(false);
    expect(report.signature.ok).toBe(false);
    expect(report.files.every((f) => f.ok)).toBe(true);
  });

  test('when a file is swapped and its hash updated in the manifest, then the signature still gives it away', async () => {
    const file = await exportZip(order);
    const other = Buffer.concat([PHOTO, Buffer.from('x')]);
    const sha = createHash('sha256').update(other).digest('hex');
    const bad = path.join(dir, 'tampered-both.zip');
    await rezip(file, bad, (name, data) => {
      if (name === 'evidence/photo.jpg') return other;
      if (name !== 'manifest.json') return data;
      const m = JSON.parse(data.toString('utf8')) as { files: { path: string; sha256: string; bytes: number }[] };
      const f = m.files.find((x) => x.path === 'evidence/photo.jpg')!;
      f.sha256 = sha;
      f.bytes = other.length;
      return Buffer.from(JSON.stringify(m, null, 2));
    });
    const report = await checkExportPackage(bad, { publicKeyPem: h.publicKeyPem });
    expect(report.files.every((f) => f.ok)).toBe(true);
    expect(report.signature.ok).toBe(false);
    expect(report.ok).toBe(false);
  });

  test('when an extra file is slipped in, then the check names it', async () => {
    const file = await exportZip(order);
    const bad = path.join(dir, 'tampered-extra.zip');
    await rezip(file, bad, (_n, d) => d, [['evidence/extra.jpg', PHOTO]]);
    const report = await checkExportPackage(bad, { publicKeyPem: h.publicKeyPem });
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('unlisted entry evidence/extra.jpg');
  });

  test('when checked against another key, then the signature fails; without a key, the verdict is unverified', async () => {
    const file = await exportZip(order);
    const other = signingKeys().publicPem;
    expect((await checkExportPackage(file, { publicKeyPem: other })).signature.ok).toBe(false);
    const own = await checkExportPackage(file);
    expect(own.ok).toBe(false);
    expect(own.verdict).toBe('unverified');
    expect(own.signature).toMatchObject({ ok: true, keySource: 'package', originProven: false });
  });

  test('when no signing key is configured, then export is refused with a clear 503', async () => {
    const bare = await startConsole({ EXPORT_SIGNING_KEY: '' });
    try {
      const o = await seedOrder(bare);
      const s = await login(bare, await createUser(bare, 'auditor'));
      const res = await call(bare, s, 'POST', `/api/orders/${o.id}/export`, { json: { purpose: 'ticket CS-1001' } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        error: 'export_not_configured',
        message: expect.stringContaining('EXPORT_SIGNING_KEY'),
      });
    } finally {
      await bare.close();
    }
  });
});

describe('what WeBank did not send', () => {
  test('when WeBank left optional files empty and the H5 page sent a front-end error, then the order page shows both', async () => {
    const o = await seedOrder(h);
    await h.db.order.update({
      where: { id: o.id },
      data: { details: { frontCode: '0', filesNotProvided: ['front_crop', 'back_crop'] } },
    });
    await h.db.callbackEvent.create({
      data: {
        orderId: o.id,
        channel: 'redirect',
        appId: h.cfg.apps[0]!.appId,
        orderNo: o.orderNo,
        code: '3004',
        verdict: 'frontend_error',
        reason: 'front-end error 3004: No permission to use the camera',
        params: { code: '3004' },
      },
    });
    const json = (await (await call(h, viewer, 'GET', `/api/orders/${o.id}`)).json()) as Record<string, unknown>;
    expect(json.filesNotProvided).toEqual(['front_crop', 'back_crop']);
    const page = await (await call(h, viewer, 'GET', `/orders/${o.id}`, { headers: { accept: 'text/html' } })).text();
    expect(page).toMatch(/id="files-not-provided"[^]*front_crop, back_crop/);
    expect(page).toContain('WeBank 未提供');
    expect(page).toMatch(/frontend_error<\/td>\s*<td>3004/);
  });
});
