import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { CliIo } from '../../src/cli/io';
import { runCli } from '../../src/cli/program';
import { hashToken } from '../../src/shared/compliance/staff/api-tokens';
import { keyFingerprint, type Manifest } from '../../src/shared/compliance/export-package';
import { fakeIp, PHOTO, seedOrder, startConsole, uid, VIDEO, type ConsoleHarness } from './harness';
import { readZip, rezip } from './zip-tools';

let h: ConsoleHarness;
const dir = mkdtempSync(path.join(tmpdir(), 'console-cli-'));
const ROOT = path.join(__dirname, '../..');

beforeAll(async () => {
  h = await startConsole();
});

afterAll(async () => {
  await h?.close();
});

interface Run {
  code: number;
  out: string[];
  err: string[];
  /** The OS user this run was audited as (unique per run). */
  actor: string;
}

/** Runs the CLI in-process against the harness's database, S3 and Redis. */
async function cli(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const osUser = uid('op-');
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => opts.stdin ?? '',
    promptSecret: () => Promise.reject(new Error('no terminal in tests')),
    interactive: false,
    env: { ...h.env, ...(opts.env ?? {}) },
    osUser,
    stderr: new PassThrough(),
  };
  const code = await runCli(args, io);
  return { code, out, err, actor: `cli:${osUser}` };
}

const auditOf = (run: Run) => h.db.auditEntry.findMany({ where: { actor: run.actor }, orderBy: { id: 'asc' } });

async function apiLogin(username: string, password: string) {
  return fetch(`${h.base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': fakeIp() },
    body: JSON.stringify({ username, password }),
  });
}

describe('user', () => {
  test('when an admin is added with --password-stdin, then they can log in and one row is audited as cli:<os user>', async () => {
    const name = uid('first-admin-');
    const run = await cli(['user', 'add', name, '--role', 'admin', '--password-stdin'], {
      stdin: 'correct horse battery\n',
    });
    expect(run).toMatchObject({ code: 0, out: [`created admin ${name} (apps: all)`] });
    expect((await apiLogin(name, 'correct horse battery')).status).toBe(200);
    const rows = await auditOf(run);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'user.create',
      outcome: 'success',
      target: `user:${name}`,
      actorRole: 'cli',
    });
    const stored = await h.db.staffUser.findUniqueOrThrow({ where: { username: name } });
    expect(stored.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
  });

  test('when input is bad, then exit 2 with a clear message', async () => {
    const name = uid('u-');
    expect(
      (await cli(['user', 'add', name, '--role', 'king', '--password-stdin'], { stdin: 'long enough password' })).code,
    ).toBe(2);
    const short = await cli(['user', 'add', name, '--role', 'viewer', '--password-stdin'], { stdin: 'short' });
    expect(short.code).toBe(2);
    expect(short.err.join('\n')).toMatch(/at least 12 characters/);
    expect(
      (await cli(['user', 'add', name, '--role', 'viewer', '--password-stdin'], { stdin: 'long enough password' }))
        .code,
    ).toBe(0);
    const dup = await cli(['user', 'add', name, '--role', 'viewer', '--password-stdin'], {
      stdin: 'long enough password',
    });
    expect(dup.code).toBe(2);
    expect(dup.err.join('\n')).toMatch(/already exists/);
    expect(await auditOf(dup)).toMatchObject([{ action: 'user.create', outcome: 'failure' }]);
  });

  test('when a user is disabled, then they cannot log in; an unknown user is exit 2', async () => {
    const name = uid('u-');
    await cli(['user', 'add', name, '--role', 'viewer', '--password-stdin'], { stdin: 'long enough password' });
    const run = await cli(['user', 'disable', name]);
    expect(run.code).toBe(0);
    expect(await auditOf(run)).toMatchObject([{ action: 'user.disable', outcome: 'success', target: `user:${name}` }]);
    expect((await apiLogin(name, 'long enough password')).status).toBe(401);
    expect((await cli(['user', 'disable', uid('ghost-')])).code).toBe(2);
  });
});

describe('token', () => {
  test('when a partner token is created for an app, then it is printed once, stored hashed, and can be revoked', async () => {
    const run = await cli(['token', 'create', '--partner', '--app', 'shop', '--name', 'shop backend']);
    expect(run.code).toBe(0);
    const token = run.out[0]!;
    expect(token).toMatch(/^fa_[A-Za-z0-9_-]{43}$/);
    const row = await h.db.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
    expect(row).toMatchObject({ kind: 'partner', appKey: 'shop', name: 'shop backend', revokedAt: null });
    expect(await auditOf(run)).toMatchObject([
      { action: 'token.create', outcome: 'success', target: `token:${row.id}` },
    ]);
    expect(
      JSON.stringify(await auditOf(run), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).not.toContain(token);

    const revoke = await cli(['token', 'revoke', row.id]);
    expect(revoke.code).toBe(0);
    expect((await h.db.apiToken.findUniqueOrThrow({ where: { id: row.id } })).revokedAt).not.toBeNull();
  });

  test('when options do not fit, then exit 2', async () => {
    expect((await cli(['token', 'create', '--name', 'x'])).code).toBe(2);
    expect((await cli(['token', 'create', '--partner', '--app', 'nope', '--name', 'x'])).code).toBe(2);
    expect((await cli(['token', 'revoke', 'not-a-uuid'])).code).toBe(2);
  });

  // issue 15 item 12: a token for someone else names its issuer on every audit row it causes, and expires.
  test('when a staff token is created for a user, then it acts with that user, and its rows name the issuer', async () => {
    const name = uid('bot-');
    await cli(['user', 'add', name, '--role', 'viewer', '--password-stdin'], { stdin: 'long enough password' });
    const run = await cli(['token', 'create', '--user', name, '--name', 'nightly check', '--expires-days', '7']);
    expect(run.code).toBe(0);
    const ua = uid('ua-');
    const res = await fetch(`${h.base}/api/orders`, {
      headers: { authorization: `Bearer ${run.out[0]}`, 'user-agent': ua },
    });
    expect(res.status).toBe(200);
    const rows = await h.db.auditEntry.findMany({ where: { userAgent: ua } });
    expect(rows).toMatchObject([{ actor: `user:${name}`, action: 'search', detail: { tokenIssuedBy: run.actor } }]);
    const row = await h.db.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(run.out[0]!) } });
    expect(row.issuedBy).toBe(run.actor);
    const days = (row.expiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    const tooLong = await cli(['token', 'create', '--user', name, '--name', 'x', '--expires-days', '100000']);
    expect(tooLong.code).toBe(2);
  });
});

describe('evidence, export, requeue', () => {
  test('when evidence is fetched, then the files land in the directory with their hashes checked', async () => {
    const o = await seedOrder(h);
    const out = path.join(dir, uid('get-'));
    const run = await cli(['evidence', 'get', o.orderNo, '--out', out]);
    expect(run.code).toBe(0);
    expect(readFileSync(path.join(out, `${o.orderNo}-photo.jpg`)).equals(PHOTO)).toBe(true);
    expect(readFileSync(path.join(out, `${o.orderNo}-video.mp4`)).equals(VIDEO)).toBe(true);
    expect(await auditOf(run)).toMatchObject([{ action: 'download', outcome: 'success', orderNo: o.orderNo }]);
  });

  test('when a stored file was altered, then evidence get keeps it only as .mismatch, exits 1 and records the integrity failure on the order', async () => {
    const o = await seedOrder(h);
    const altered = Buffer.from(PHOTO);
    altered[10] = altered[10]! ^ 0xff;
    await h.s3.client.send(new PutObjectCommand({ Bucket: h.s3.bucket, Key: o.photoKey, Body: altered }));
    const out = path.join(dir, uid('get-'));
    const run = await cli(['evidence', 'get', o.orderNo, '--out', out]);
    expect(run.code).toBe(1);
    expect(readFileSync(path.join(out, `${o.orderNo}-photo.jpg.mismatch`)).equals(altered)).toBe(true);
    const row = await h.db.evidence.findUniqueOrThrow({ where: { orderId_kind: { orderId: o.id, kind: 'photo' } } });
    expect(row.integrityProblem).toBe('mismatch');
    const events = await h.db.orderEvent.findMany({ where: { orderId: o.id, type: 'integrity_failed' } });
    expect(events.map((e) => (e.detail as { via: string }).via)).toEqual(['cli']);
    expect((await auditOf(run)).map((r) => [r.action, r.outcome])).toEqual([
      ['integrity', 'failure'],
      ['download', 'failure'],
    ]);
  });

  test('when verify runs on an intact order, then exit 0; after tampering, exit 1 and a failure row', async () => {
    const o = await seedOrder(h);
    const good = await cli(['evidence', 'verify', o.orderNo]);
    expect(good.code).toBe(0);
    expect(good.out.join('\n')).toMatch(/integrity check passed/);
    await h.s3.client.send(
      new PutObjectCommand({ Bucket: h.s3.bucket, Key: o.videoKey, Body: Buffer.concat([VIDEO, Buffer.from('!')]) }),
    );
    const bad = await cli(['evidence', 'verify', o.orderNo]);
    expect(bad.code).toBe(1);
    expect(bad.out.join('\n')).toMatch(/MISMATCH video/);
    expect(await auditOf(bad)).toMatchObject([
      { action: 'integrity', outcome: 'failure' },
      { action: 'verify', outcome: 'failure' },
    ]);
  });

  test('when an orderNo exists in two apps, then --app is required', async () => {
    const orderNo = uid('DUP');
    await seedOrder(h, { orderNo, appId: h.cfg.apps[0]!.appId });
    await seedOrder(h, { orderNo, appId: h.cfg.apps[1]!.appId });
    const run = await cli(['evidence', 'verify', orderNo]);
    expect(run.code).toBe(2);
    expect(run.err.join('\n')).toMatch(/several apps \(default, shop\); pass --app/);
    expect((await cli(['evidence', 'verify', orderNo, '--app', 'shop'])).code).toBe(0);
    expect((await cli(['evidence', 'verify', uid('NONE')])).code).toBe(2);
  });

  test('when exported, then `export check` passes with the public key; a tampered copy fails with exit 1', async () => {
    const o = await seedOrder(h);
    const file = path.join(dir, `${uid('pkg-')}.zip`);
    const run = await cli(['export', o.orderNo, '--out', file]);
    expect(run.code).toBe(0);
    expect(await auditOf(run)).toMatchObject([{ action: 'export', outcome: 'success', orderNo: o.orderNo }]);
    const keyFile = path.join(dir, 'export-public.pem');
    writeFileSync(keyFile, h.publicKeyPem);

    const ok = await cli(['export', 'check', file, '--public-key', keyFile], {
      env: { EXPORT_SIGNING_KEY: undefined },
    });
    expect(ok.code).toBe(0);
    expect(ok.out.at(-1)).toBe('PACKAGE OK');

    const tampered = path.join(dir, 'tampered.zip');
    await rezip(file, tampered, (name, data) =>
      name === 'evidence/photo.jpg' ? Buffer.concat([data, Buffer.from('x')]) : data,
    );
    const bad = await cli(['export', 'check', tampered, '--public-key', keyFile]);
    expect(bad.code).toBe(1);
    expect(bad.out.join('\n')).toMatch(/MISMATCH\s+evidence\/photo.jpg/);
    expect(bad.out.at(-1)).toBe('PACKAGE FAILED');
  });

  // issue 15 item 10: an insider re-signs a doctored package with a key of their own and ships that key inside it.
  test('when a package is re-signed with a new key carried inside it, then export check says UNVERIFIED or FAILED, never OK', async () => {
    const o = await seedOrder(h);
    const file = path.join(dir, `${uid('pkg-')}.zip`);
    expect((await cli(['export', o.orderNo, '--out', file])).code).toBe(0);

    // unzip, swap the photo, fix the manifest, sign with a new key, replace signing-key.pem, re-zip
    const entries = await readZip(file);
    const swapped = Buffer.concat([
      PHOTO.subarray(0, PHOTO.length - 2),
      Buffer.from('ff00', 'hex'),
      PHOTO.subarray(-2),
    ]);
    const forger = generateKeyPairSync('ed25519');
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as Manifest;
    const photo = manifest.files.find((f) => f.kind === 'photo')!;
    photo.sha256 = createHash('sha256').update(swapped).digest('hex');
    photo.bytes = swapped.length;
    manifest.signature.publicKeySha256 = keyFingerprint(forger.publicKey);
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const forged = path.join(dir, `${uid('forged-')}.zip`);
    await rezip(file, forged, (name, data) => {
      if (name === photo.path) return swapped;
      if (name === 'manifest.json') return manifestBytes;
      if (name === 'manifest.sig')
        return Buffer.from(`${sign(null, manifestBytes, forger.privateKey).toString('base64')}\n`);
      if (name === 'signing-key.pem')
        return Buffer.from(forger.publicKey.export({ type: 'spki', format: 'pem' }).toString());
      return data;
    });

    // No trusted key given or configured: the key inside the package proves nothing.
    const offline = { EXPORT_SIGNING_KEY: undefined, EXPORT_TRUSTED_KEYS: undefined };
    const unverified = await cli(['export', 'check', forged], { env: offline });
    expect(unverified.code).not.toBe(0);
    expect(unverified.out.at(-1)).toBe('PACKAGE UNVERIFIED');
    expect(unverified.out.join('\n')).not.toMatch(/PACKAGE OK/);
    // The genuine package is UNVERIFIED too without a trusted key.
    const genuineUnverified = await cli(['export', 'check', file], { env: offline });
    expect(genuineUnverified.code).not.toBe(0);
    expect(genuineUnverified.out.at(-1)).toBe('PACKAGE UNVERIFIED');

    // With the published key (a file or its fingerprint) or the configured trust list, the forgery fails.
    const keyFile = path.join(dir, `${uid('trusted-')}.pem`);
    writeFileSync(keyFile, h.publicKeyPem);
    const fingerprint = keyFingerprint(createPublicKey(h.publicKeyPem));
    for (const run of [
      await cli(['export', 'check', forged, '--trusted-key', keyFile], { env: offline }),
      await cli(['export', 'check', forged, '--trusted-key', fingerprint], { env: offline }),
      await cli(['export', 'check', forged], { env: { ...offline, EXPORT_TRUSTED_KEYS: fingerprint } }),
    ]) {
      expect(run.code).toBe(1);
      expect(run.out.at(-1)).toBe('PACKAGE FAILED');
    }
    // ... and the genuine one passes.
    for (const run of [
      await cli(['export', 'check', file, '--trusted-key', keyFile], { env: offline }),
      await cli(['export', 'check', file, '--trusted-key', fingerprint], { env: offline }),
      await cli(['export', 'check', file], { env: { ...offline, EXPORT_TRUSTED_KEYS: fingerprint } }),
    ]) {
      expect(run.code).toBe(0);
      expect(run.out.at(-1)).toBe('PACKAGE OK');
    }
    // Trusting the forger's fingerprint is the recipient's own choice; a key in the package never is.
    const forgerFile = path.join(dir, `${uid('forger-')}.pem`);
    writeFileSync(forgerFile, forger.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    expect((await cli(['export', 'check', forged, '--trusted-key', forgerFile], { env: offline })).code).toBe(0);
  });

  test('when an order is re-queued, then it is QUEUED with a fresh job id, a timeline event and one audit row', async () => {
    const o = await seedOrder(h, { status: 'EVIDENCE_MISSING' });
    const run = await cli(['requeue', o.orderNo]);
    expect(run.code).toBe(0);
    const jobId = /as job (\S+)/.exec(run.out[0]!)![1]!;
    expect(jobId).toMatch(new RegExp(`^faceid-${o.appId}-${o.orderNo}-r\\d+$`));
    expect(await h.queue.getJob(jobId)).toBeDefined();
    expect((await h.db.order.findUniqueOrThrow({ where: { id: o.id } })).status).toBe('QUEUED');
    expect(await h.db.orderEvent.count({ where: { orderId: o.id, type: 'requeued' } })).toBe(1);
    expect(await auditOf(run)).toMatchObject([{ action: 'requeue', outcome: 'success', orderNo: o.orderNo }]);

    const purged = await seedOrder(h, { status: 'PURGED' });
    const refused = await cli(['requeue', purged.orderNo]);
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toMatch(/purged/);
  });

  test('when export check runs as a real process on a tampered package, then it exits 1; on a good one, 0', async () => {
    const o = await seedOrder(h);
    const file = path.join(dir, `${uid('pkg-')}.zip`);
    expect((await cli(['export', o.orderNo, '--out', file])).code).toBe(0);
    const tampered = path.join(dir, `${uid('bad-')}.zip`);
    await rezip(file, tampered, (name, data) =>
      name === 'manifest.json'
        ? Buffer.from(data.toString().replace('"status": "ARCHIVED"', '"status": "FAILED"'))
        : data,
    );
    const keyFile = path.join(dir, 'real-process-public.pem');
    writeFileSync(keyFile, h.publicKeyPem);
    // Offline: no configuration at all in the environment.
    const check = (f: string) =>
      spawnSync(
        process.execPath,
        [require.resolve('tsx/cli'), 'src/cli/main.ts', 'export', 'check', f, '--public-key', keyFile],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '' },
        },
      );
    const bad = check(tampered);
    expect(bad.stdout).toMatch(/signature INVALID/);
    expect(bad.status).toBe(1);
    const good = check(file);
    expect(good.stdout).toMatch(/PACKAGE OK/);
    expect(good.status).toBe(0);
  });
});

describe('orders register', () => {
  test('when a file lists orders, then each valid one is registered once, bad lines are named, and one audit row is written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'register-'));
    const a = uid('reg');
    const b = uid('reg');
    const known = uid('reg');
    await cli(['orders', 'register', writeList(dir, 'first.txt', [known])]);
    const file = writeList(dir, 'batch.txt', [
      '# orderNo,userRef,startedAt',
      a,
      `${b},user-7,2026-11-20T08:00:00Z`,
      known,
      'not valid!',
      '',
    ]);
    const run = await cli(['orders', 'register', file]);
    expect(run.code).toBe(1);
    expect(run.out.join('\n')).toContain('registered 2, already known 1, invalid 1');
    expect(run.err.join('\n')).toMatch(/line 5: orderNo/);
    const rows = await h.db.order.findMany({ where: { orderNo: { in: [a, b, known] } }, orderBy: { orderNo: 'asc' } });
    expect(rows.map((r) => r.status)).toEqual(['EXPECTED', 'EXPECTED', 'EXPECTED']);
    expect(rows.find((r) => r.orderNo === b)).toMatchObject({
      userRef: 'user-7',
      startedAt: new Date('2026-11-20T08:00:00Z'),
    });
    const audit = await auditOf(run);
    expect(audit.map((r) => [r.action, r.outcome])).toEqual([['register', 'failure']]);
  });

  test('when the app key is unknown, then a usage error and nothing registered', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'register-'));
    const orderNo = uid('reg');
    const run = await cli(['orders', 'register', writeList(dir, 'x.txt', [orderNo]), '--app', 'nosuch']);
    expect(run.code).toBe(2);
    expect(await h.db.order.count({ where: { orderNo } })).toBe(0);
  });
});

function writeList(dir: string, name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('order list', () => {
  test('when listing, then the table header is in Chinese by default (English on request) and times carry the zone offset', async () => {
    const tag = uid('CLI');
    await seedOrder(h, { orderNo: `${tag}f`, resultCode: '66660018' });
    const zh = await cli(['order', 'list', '--q', tag, '--outcome', 'failed'], {
      env: { LANG: 'C.UTF-8', CONSOLE_LANG: undefined },
    });
    expect(zh.code).toBe(0);
    expect(zh.out[0]).toBe('订单号\t应用\t产品\t核身结果\t结果码\t结果说明\t归档状态\t记录时间');
    expect(zh.out[1]).toContain(`${tag}f`);
    expect(zh.out[1]).toContain('未通过');
    expect(zh.out[1]).toMatch(/ \+08:00$/);
    const en = await cli(['order', 'list', '--q', tag], { env: { CONSOLE_LANG: 'en' } });
    expect(en.out[0]?.split('\t')[0]).toBe('ORDER NO');
    expect(en.out[1]).toContain('Failed');
    expect(await auditOf(zh)).toMatchObject([{ action: 'search', outcome: 'success' }]);
  });
});
