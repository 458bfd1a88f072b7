import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { CliIo } from '../../src/cli/io';
import { runCli } from '../../src/cli/program';
import { createStaffUser } from '../../src/shared/compliance/staff/accounts';
import type { Role } from '../../src/shared/compliance/staff/roles';
import {
  call,
  login,
  seedOrder,
  startConsole,
  uid,
  type ConsoleHarness,
  type SeededOrder,
  type Session,
} from './harness';

/**
 * Issue 15 item 15: every staff member saw every app. A staff account may now be scoped to some
 * apps (default: all, as before); the scope holds on search, order pages, evidence, export, and
 * the CLI (CLI_APP_SCOPE).
 */
let h: ConsoleHarness;
let mine: SeededOrder;
let theirs: SeededOrder;
let scoped: Session;
let unscoped: Session;

async function userWith(role: Role, apps?: string[]): Promise<Session> {
  const username = uid(`${role}-`);
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await createStaffUser(h.db, { username, role, password, apps });
  return login(h, { username, password, role });
}

beforeAll(async () => {
  h = await startConsole();
  mine = await seedOrder(h, { appId: h.cfg.apps.find((a) => a.key === 'shop')!.appId });
  theirs = await seedOrder(h, { appId: h.cfg.apps.find((a) => a.key === 'default')!.appId });
  scoped = await userWith('auditor', ['shop']);
  unscoped = await userWith('auditor');
});

afterAll(async () => {
  await h?.close();
});

const json = async (res: Response) => ((await res.json()) as { orders: { orderNo: string }[] }).orders;

describe('a staff account scoped to one app', () => {
  test('when it searches, then it finds only its app; naming another app is refused', async () => {
    const both = [mine.orderNo, theirs.orderNo];
    const all = await json(await call(h, scoped, 'GET', '/api/orders?limit=100'));
    expect(all.map((r) => r.orderNo)).toContain(mine.orderNo);
    expect(all.map((r) => r.orderNo)).not.toContain(theirs.orderNo);
    const byNo = await json(await call(h, scoped, 'GET', `/api/orders?orderNo=${theirs.orderNo}`));
    expect(byNo).toEqual([]);
    expect((await call(h, scoped, 'GET', '/api/orders?app=default')).status).toBe(403);
    // an account without a scope sees both, as before
    const everything = await json(await call(h, unscoped, 'GET', '/api/orders?limit=100'));
    expect(everything.map((r) => r.orderNo)).toEqual(expect.arrayContaining(both));
  });

  test('when it opens, reveals, verifies or exports an order of another app, or its evidence, then 403 (audited as denied)', async () => {
    const ua = uid('ua-');
    const headers = { 'user-agent': ua };
    const refused = [
      await call(h, scoped, 'GET', `/api/orders/${theirs.id}`, { headers }),
      await call(h, scoped, 'GET', `/orders/${theirs.id}`, { headers: { ...headers, accept: 'text/html' } }),
      await call(h, scoped, 'POST', `/api/orders/${theirs.id}/reveal`, {
        headers,
        json: { purpose: 'ticket CS-1001' },
      }),
      await call(h, scoped, 'POST', `/api/orders/${theirs.id}/verify`, { headers }),
      await call(h, scoped, 'POST', `/api/orders/${theirs.id}/export`, {
        headers,
        json: { purpose: 'ticket CS-1001' },
      }),
      await call(h, scoped, 'GET', `/api/orders/${theirs.id}/evidence/photo`, { headers }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    const rows = await h.db.auditEntry.findMany({ where: { userAgent: ua } });
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r.outcome === 'denied')).toBe(true);

    expect((await call(h, scoped, 'GET', `/api/orders/${mine.id}`)).status).toBe(200);
    expect((await call(h, scoped, 'GET', `/api/orders/${mine.id}/evidence/photo`)).status).toBe(200);
    expect(
      (await call(h, scoped, 'POST', `/api/orders/${mine.id}/export`, { json: { purpose: 'ticket CS-1001' } })).status,
    ).toBe(200);
    expect((await call(h, unscoped, 'GET', `/api/orders/${theirs.id}`)).status).toBe(200);
  });
});

describe('the CLI with CLI_APP_SCOPE', () => {
  async function cli(args: string[], scope?: string) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      readStdin: async () => '',
      promptSecret: () => Promise.reject(new Error('no terminal in tests')),
      interactive: false,
      env: { ...h.env, CLI_APP_SCOPE: scope },
      osUser: uid('op-'),
      stderr: new PassThrough(),
    };
    return { code: await runCli(args, io), out, err };
  }

  test('when an order outside the scope is asked for, then it is not found; inside, it works', async () => {
    expect((await cli(['evidence', 'verify', theirs.orderNo], 'shop')).code).toBe(2);
    expect((await cli(['export', theirs.orderNo, '--out', `/tmp/${uid('x-')}.zip`], 'shop')).code).toBe(2);
    expect((await cli(['requeue', theirs.orderNo], 'shop')).code).toBe(2);
    expect((await cli(['evidence', 'verify', mine.orderNo], 'shop')).code).toBe(0);
    expect((await cli(['evidence', 'verify', theirs.orderNo])).code).toBe(0);
  });

  test('when an account is given apps, then they are checked against the configuration and can be widened to all', async () => {
    const name = uid('scoped-');
    const add = await cli(['user', 'add', name, '--role', 'viewer', '--apps', 'shop', '--password-stdin']);
    expect(add.code).toBe(2); // no password on stdin in this helper: refused before anything is written
    await createStaffUser(h.db, { username: name, role: 'viewer', password: 'long enough password', apps: ['shop'] });
    expect((await cli(['user', 'apps', name, 'nope'])).code).toBe(2);
    expect((await h.db.staffUser.findUniqueOrThrow({ where: { username: name } })).appKeys).toEqual(['shop']);
    expect((await cli(['user', 'apps', name, 'all'])).code).toBe(0);
    expect((await h.db.staffUser.findUniqueOrThrow({ where: { username: name } })).appKeys).toEqual([]);
    expect((await cli(['user', 'apps', name, 'default,shop'])).code).toBe(0);
    expect((await h.db.staffUser.findUniqueOrThrow({ where: { username: name } })).appKeys).toEqual([
      'default',
      'shop',
    ]);
  });
});

describe('a scoped admin', () => {
  test('when it creates accounts, then only within its own apps', async () => {
    const admin = await userWith('admin', ['shop']);
    const create = (apps?: string[]) =>
      call(h, admin, 'POST', '/api/users', {
        json: { username: uid('new-'), role: 'viewer', password: 'long enough password', ...(apps ? { apps } : {}) },
      });
    expect((await create()).status).toBe(403);
    expect((await create(['default'])).status).toBe(403);
    expect((await create(['shop'])).status).toBe(201);
  });
});
