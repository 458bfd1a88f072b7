import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io';
import { runCli } from '../../src/cli/program';
import { checkExportPackage } from '../../src/shared/compliance/export-package';
import { call, createUser, login, seedOrder, startConsole, uid, type ConsoleHarness, type Session } from './harness';

/** Issue 18, bug 3: an empty or partial evidence package must not pass `export check`. */

let h: ConsoleHarness;
let auditor: Session;
const dir = mkdtempSync(path.join(tmpdir(), 'console-completeness-'));

beforeAll(async () => {
  h = await startConsole();
  auditor = await login(h, await createUser(h, 'auditor'));
}, 60_000);

afterAll(async () => {
  await h?.close();
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => '',
    promptSecret: () => Promise.reject(new Error('no terminal in tests')),
    interactive: false,
    env: { ...h.env },
    osUser: uid('op-'),
    stderr: new PassThrough(),
  };
  return { code: await runCli(args, io), out, err };
}

/** An EVIDENCE_MISSING order without any evidence row (what the archiver leaves when files never came). */
async function emptyOrder() {
  const o = await seedOrder(h);
  await h.db.evidence.deleteMany({ where: { orderId: o.id } });
  await h.db.order.update({ where: { id: o.id }, data: { status: 'EVIDENCE_MISSING' } });
  return o;
}

async function exportTo(orderId: string, form: Record<string, string> = {}) {
  const res = await fetch(`${h.base}/api/orders/${orderId}/export`, {
    method: 'POST',
    headers: {
      cookie: auditor.cookie,
      'x-forwarded-for': auditor.ip,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _csrf: auditor.csrf, purpose: 'ticket CS-1842', ...form }).toString(),
  });
  const file = path.join(dir, `${uid('pkg-')}.zip`);
  if (res.status === 200) writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return { res, file };
}

describe('package completeness (bug 3)', () => {
  test('when an order without files is exported, then the console refuses until the export is confirmed as incomplete', async () => {
    const o = await emptyOrder();
    const refused = await exportTo(o.id);
    expect(refused.res.status).toBe(409);
    expect(((await refused.res.json()) as { error: string }).error).toBe('package_incomplete');

    const { res, file } = await exportTo(o.id, { acceptIncomplete: '1' });
    expect(res.status).toBe(200);
    const report = await checkExportPackage(file, { publicKeyPem: h.publicKeyPem });
    expect(report.manifest!.completeness).toMatchObject({
      complete: false,
      expected: ['photo', 'video'],
      present: [],
      missing: ['photo', 'video'],
    });
    expect(report.signature.ok).toBe(true);
    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toMatch(/incomplete/);
    expect((await checkExportPackage(file, { publicKeyPem: h.publicKeyPem, acceptIncomplete: true })).ok).toBe(true);

    const keyFile = path.join(dir, `${uid('key-')}.pem`);
    writeFileSync(keyFile, h.publicKeyPem);
    const check = await cli(['export', 'check', file, '--public-key', keyFile]);
    expect(check.code).not.toBe(0);
    expect(check.out.join('\n')).toMatch(/PACKAGE FAILED/);
    expect(check.out.join('\n')).toMatch(/incomplete/);
    const accepted = await cli(['export', 'check', file, '--public-key', keyFile, '--accept-incomplete']);
    expect(accepted.code).toBe(0);
    expect(accepted.out.join('\n')).toMatch(/PACKAGE OK \(incomplete, accepted\)/);
  }, 60_000);

  test('when an archived order with every file is exported, then the package says complete and passes the check', async () => {
    const o = await seedOrder(h);
    const { res, file } = await exportTo(o.id);
    expect(res.status).toBe(200);
    const report = await checkExportPackage(file, { publicKeyPem: h.publicKeyPem });
    expect(report.manifest!.completeness).toMatchObject({ complete: true, missing: [] });
    expect(report.ok).toBe(true);
  }, 60_000);

  test('when the CLI exports an incomplete order, then it needs --accept-incomplete', async () => {
    const o = await emptyOrder();
    const out = path.join(dir, `${uid('cli-')}.zip`);
    const refused = await cli(['export', o.orderNo, '--out', out]);
    expect(refused.code).not.toBe(0);
    expect(refused.err.join('\n')).toMatch(/incomplete/);
    const ok = await cli(['export', o.orderNo, '--out', out, '--accept-incomplete']);
    expect(ok.code).toBe(0);
  }, 60_000);

  test('when staff open an incomplete order, then the export form asks for confirmation first', async () => {
    const o = await emptyOrder();
    const page = await (await call(h, auditor, 'GET', `/orders/${o.id}`, { headers: { accept: 'text/html' } })).text();
    expect(page).toMatch(/<form[^>]*id="export-form"[^>]*data-confirm="[^"]+"/);
  }, 60_000);
});
