import { request } from 'node:http';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  call,
  createUser,
  login,
  PHOTO,
  seedOrder,
  startConsole,
  uid,
  VIDEO,
  type ConsoleHarness,
  type Session,
} from './harness';

/**
 * Issue 18, bug 1: tampered evidence must never be served as valid. Bytes are flipped in fauxqs
 * with a real PutObject over the stored key, and read back with a real HTTP client.
 */

let h: ConsoleHarness;
let viewer: Session;
let auditor: Session;

beforeAll(async () => {
  h = await startConsole();
  viewer = await login(h, await createUser(h, 'viewer'));
  auditor = await login(h, await createUser(h, 'auditor'));
}, 60_000);

afterAll(async () => {
  await h?.close();
});

/** Overwrites the object with one byte flipped (same size, different SHA-256). */
async function flipByte(key: string, original: Buffer, at = Math.floor(original.length / 2)): Promise<void> {
  const altered = Buffer.from(original);
  altered[at] = altered[at]! ^ 0xff;
  await h.evidence.client.send(
    new PutObjectCommand({ Bucket: h.s3.bucket, Key: key, Body: altered, ContentType: 'video/mp4' }),
  );
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  received: number;
  /** True when the transfer ended with all Content-Length bytes; false when it was cut off. */
  complete: boolean;
}

/** A plain node:http GET that reports how the transfer ended rather than throwing. */
function rawGet(path: string, s: Session, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const url = new URL(`${h.base}${path}`);
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'GET', headers: { cookie: s.cookie, 'x-forwarded-for': s.ip, ...headers } },
      (res) => {
        let received = 0;
        let settled = false;
        const done = (complete: boolean) => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, received, complete });
        };
        res.on('data', (c: Buffer) => (received += c.length));
        res.on('end', () => done(res.complete && received === Number(res.headers['content-length'] ?? received)));
        res.on('aborted', () => done(false));
        res.on('error', () => done(false));
        res.on('close', () => done(res.complete && received === Number(res.headers['content-length'] ?? -1)));
      },
    );
    // Cut off before any byte (a small object is one held-back chunk): the socket just closes.
    req.on('error', () => resolve({ status: 0, headers: {}, received: 0, complete: false }));
    req.end();
  });
}

async function until<T>(probe: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const evidenceRow = (orderId: string, kind: string) =>
  h.db.evidence.findUniqueOrThrow({ where: { orderId_kind: { orderId, kind } } });

describe('a tampered object is never served as valid (bug 1)', () => {
  test('when one byte of the video was flipped in S3, then a download is cut off, sends no recorded-hash ETag, and the order is marked, timelined and audited', async () => {
    const order = await seedOrder(h);
    const recorded = (await evidenceRow(order.id, 'video')).sha256;
    await flipByte(order.videoKey, VIDEO);

    const res = await rawGet(`/api/orders/${order.id}/evidence/video?download=1`, viewer);
    expect(res.complete).toBe(false);
    expect(res.received).toBeLessThan(VIDEO.length);
    expect(res.headers.etag).not.toBe(`"${recorded}"`);

    const row = await until(async () => {
      const r = await evidenceRow(order.id, 'video');
      return r.integrityFailedAt ? r : undefined;
    });
    expect(row.integrityProblem).toBe('mismatch');
    const timeline = await h.db.orderEvent.findMany({ where: { orderId: order.id, type: 'integrity_failed' } });
    expect(timeline).toHaveLength(1);
    expect(timeline[0]!.detail).toMatchObject({ via: 'download', files: [{ kind: 'video', problem: 'mismatch' }] });
    const audits = await h.db.auditEntry.findMany({ where: { orderId: order.id, action: 'integrity' } });
    expect(audits.map((a) => a.outcome)).toEqual(['failure']);

    // Once marked it is not served at all (no bytes, not even a range), until a verify clears it.
    const again = await call(h, viewer, 'GET', `/api/orders/${order.id}/evidence/video`);
    expect(again.status).toBe(409);
    const ranged = await call(h, viewer, 'GET', `/api/orders/${order.id}/evidence/video`, {
      headers: { range: 'bytes=0-99' },
    });
    expect(ranged.status).toBe(409);
    expect(ranged.headers.get('etag')).not.toContain(recorded);

    // The order page and its JSON say so.
    const page = await (
      await call(h, viewer, 'GET', `/orders/${order.id}`, { headers: { accept: 'text/html' } })
    ).text();
    expect(page).toContain('id="integrity-alert"');
    expect(page).toContain('id="integrity-badge"');
    expect(page).toMatch(/data-integrity="failed"[^>]*data-kind="video"|data-kind="video"[^>]*data-integrity="failed"/);
    const json = (await (await call(h, viewer, 'GET', `/api/orders/${order.id}`)).json()) as {
      integrity: { failed: { kind: string; problem: string }[] };
    };
    expect(json.integrity.failed).toEqual([expect.objectContaining({ kind: 'video', problem: 'mismatch' })]);
  }, 60_000);

  test('when a byte range of a tampered video is asked (a seek), then no bytes and no ETag: the whole object is checked first, and the failure recorded', async () => {
    const order = await seedOrder(h);
    const recorded = (await evidenceRow(order.id, 'video')).sha256;
    await flipByte(order.videoKey, VIDEO, 10);
    const res = await call(h, viewer, 'GET', `/api/orders/${order.id}/evidence/video`, {
      headers: { range: 'bytes=100-1099' },
    });
    expect(res.status).toBe(409);
    expect(res.headers.get('etag') ?? '').not.toContain(recorded);
    const row = await evidenceRow(order.id, 'video');
    expect(row.integrityProblem).toBe('mismatch');
    const timeline = await h.db.orderEvent.findMany({ where: { orderId: order.id, type: 'integrity_failed' } });
    expect(timeline[0]!.detail).toMatchObject({ via: 'range' });
  }, 60_000);

  test('when an intact video is read by ranges, then the first range verifies the whole object, ranges carry the hash as ETag, and a later overwrite is caught', async () => {
    const order = await seedOrder(h);
    const recorded = (await evidenceRow(order.id, 'video')).sha256;
    const first = await call(h, viewer, 'GET', `/api/orders/${order.id}/evidence/video`, {
      headers: { range: 'bytes=0-999' },
    });
    expect(first.status).toBe(206);
    expect(first.headers.get('etag')).toBe(`"${recorded}"`);
    expect(Buffer.from(await first.arrayBuffer()).equals(VIDEO.subarray(0, 1000))).toBe(true);
    const verified = await evidenceRow(order.id, 'video');
    expect(verified.verifiedAt).not.toBeNull();

    // Overwritten after it was verified: the conditional read notices, the object is checked again.
    await flipByte(order.videoKey, VIDEO, 5);
    const second = await call(h, viewer, 'GET', `/api/orders/${order.id}/evidence/video`, {
      headers: { range: 'bytes=1000-1999' },
    });
    expect(second.status).toBe(409);
    expect((await evidenceRow(order.id, 'video')).integrityFailedAt).not.toBeNull();
  }, 60_000);

  test('when an intact photo is downloaded whole, then every byte arrives and the read counts as a verification', async () => {
    const order = await seedOrder(h);
    const res = await rawGet(`/api/orders/${order.id}/evidence/photo`, viewer);
    expect(res.status).toBe(200);
    expect(res.complete).toBe(true);
    expect(res.received).toBe(PHOTO.length);
    await until(async () => (await evidenceRow(order.id, 'photo')).verifiedAt);
  }, 60_000);

  test('when a tampered order is exported, then no package is made (409) and the failure is recorded via export', async () => {
    const order = await seedOrder(h);
    await flipByte(order.photoKey, PHOTO);
    const ua = uid('ua-');
    const res = await call(h, auditor, 'POST', `/api/orders/${order.id}/export`, {
      headers: { 'user-agent': ua },
      json: { purpose: 'ticket CS-1842' },
    });
    expect(res.status).toBe(409);
    const timeline = await h.db.orderEvent.findMany({ where: { orderId: order.id, type: 'integrity_failed' } });
    expect(timeline.map((t) => (t.detail as { via: string }).via)).toEqual(['export']);
    expect((await evidenceRow(order.id, 'photo')).integrityFailedAt).not.toBeNull();
  }, 60_000);

  test('when a verify finds the object intact again (restored), then the mark is cleared and it is served again', async () => {
    const order = await seedOrder(h);
    await flipByte(order.photoKey, PHOTO);
    await rawGet(`/api/orders/${order.id}/evidence/photo`, viewer);
    await until(async () => (await evidenceRow(order.id, 'photo')).integrityFailedAt);
    await h.evidence.client.send(
      new PutObjectCommand({ Bucket: h.s3.bucket, Key: order.photoKey, Body: PHOTO, ContentType: 'image/jpeg' }),
    );
    const verify = await call(h, viewer, 'POST', `/api/orders/${order.id}/verify`);
    expect(((await verify.json()) as { ok: boolean }).ok).toBe(true);
    expect((await evidenceRow(order.id, 'photo')).integrityFailedAt).toBeNull();
    const res = await rawGet(`/api/orders/${order.id}/evidence/photo`, viewer);
    expect(res.complete).toBe(true);
  }, 60_000);
});
