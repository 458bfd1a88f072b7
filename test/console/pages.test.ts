import { translator } from '../../src/shared/compliance/i18n/translator';
import {
  auditRowsFor,
  call,
  createUser,
  login,
  seedOrder,
  startConsole,
  uid,
  type ConsoleHarness,
  type Session,
  type TestUser,
} from './harness';

/**
 * The console's pages as staff get them over HTTP: Chinese by default and English on request,
 * the outcome apart from the archive status, OCR sides, the callback-attempts view (forgeries of
 * order numbers that never existed), search, order numbers in the URL, CSV lists with a purpose,
 * lockouts and unlock. The Chromium tests (test/e2e/console-*.test.ts) drive the same pages.
 */
const zh = translator('zh-CN');
const en = translator('en');

let h: ConsoleHarness;
let viewer: Session;
let auditor: Session;
let admin: Session;
let auditorUser: TestUser;

beforeAll(async () => {
  h = await startConsole();
  auditorUser = await createUser(h, 'auditor');
  [viewer, auditor, admin] = await Promise.all([
    createUser(h, 'viewer').then((u) => login(h, u)),
    login(h, auditorUser),
    createUser(h, 'admin').then((u) => login(h, u)),
  ]);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

/** A page as a browser asks for it. */
function page(s: Session | undefined, path: string, headers: Record<string, string> = {}) {
  return call(h, s, 'GET', path, { headers: { accept: 'text/html', ...headers } });
}

describe('languages', () => {
  test('when no language is asked for, then the pages are in Simplified Chinese', async () => {
    const res = await page(viewer, '/');
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain(`<h1>${zh('search.title')}</h1>`);
    expect(html).toContain(zh('nav.callbacks'));
    expect(html).not.toMatch(/>Orders<|>Log out</);
  });

  test('when the browser prefers English, then English; the switch is remembered in a cookie over Accept-Language', async () => {
    const english = await (await page(viewer, '/', { 'accept-language': 'en-US,en;q=0.9' })).text();
    expect(english).toContain('<html lang="en">');
    expect(english).toContain(`<h1>${en('search.title')}</h1>`);
    const sw = await page(viewer, '/lang?to=zh-CN&next=%2Fconsole%2Faudit', { 'accept-language': 'en' });
    expect(sw.status).toBe(303);
    expect(sw.headers.get('location')).toBe('/console/audit');
    const remembered = sw.headers
      .getSetCookie()
      .find((c) => c.startsWith('console_lang='))!
      .split(';')[0]!;
    const again = await page(undefined, '/', {
      'accept-language': 'en',
      cookie: `${viewer.cookie}; ${remembered}`,
      'x-forwarded-for': viewer.ip,
    });
    expect(await again.text()).toContain('<html lang="zh-CN">');
  });

  test('when the switch is given another site as next, then it stays inside the console', async () => {
    const sw = await page(viewer, '/lang?to=en&next=https%3A%2F%2Fevil.example%2F');
    expect(sw.headers.get('location')).toBe('/console/');
  });
});

describe('outcome apart from archive status', () => {
  test('when a scan failed but was archived, then the order shows 未通过 in red apart from 已归档, with the code described', async () => {
    const o = await seedOrder(h, { resultCode: '66660018' });
    const html = await (await page(viewer, `/orders/${o.id}`)).text();
    expect(html).toContain(`<span class="outcome outcome-failed">${zh('outcome.failed')}</span>`);
    expect(html).toContain(`>${zh('status.ARCHIVED')}</span>`);
    expect(html).toContain('照片与身份证照片不是同一人');
    expect(html).not.toContain('outcome-passed');
  });

  test('when filtered by outcome, then only passed, failed or no-result orders come back, with a total', async () => {
    const tag = uid('OUT');
    await seedOrder(h, { orderNo: `${tag}P`, resultCode: '0' });
    await seedOrder(h, { orderNo: `${tag}F`, resultCode: '66660015' });
    await seedOrder(h, { orderNo: `${tag}N`, resultCode: '66660011', status: 'NO_RESULT' });
    for (const [outcome, suffix] of [
      ['passed', 'P'],
      ['failed', 'F'],
      ['none', 'N'],
    ] as const) {
      const res = await call(h, viewer, 'GET', `/api/orders?q=${tag}&outcome=${outcome}`);
      const body = (await res.json()) as { orders: { orderNo: string; outcome: string }[]; total: number };
      expect(body.orders.map((x) => x.orderNo)).toEqual([`${tag}${suffix}`]);
      expect(body.orders[0]!.outcome).toBe(outcome);
      expect(body.total).toBe(1);
    }
  });
});

describe('OCR sides (bug 4)', () => {
  test('when the back side failed under result code 0, then the page shows each side code and the outcome failed', async () => {
    const o = await seedOrder(h, { resultCode: '0' });
    await h.db.order.update({
      where: { id: o.id },
      data: { product: 'ocr', details: { frontCode: '0', backCode: '-9102' } },
    });
    const html = await (await page(viewer, `/orders/${o.id}`)).text();
    expect(html).toContain('id="ocr-sides"');
    expect(html).toMatch(/data-side="back"[\s\S]*?-9102/);
    expect(html).toContain(zh('order.ocrBack'));
    expect(html).toContain(`<span class="outcome outcome-failed">${zh('outcome.failed')}</span>`);
  });
});

describe('callback attempts (bug 5)', () => {
  test('when a forged callback named an order number that never existed, then searching that number finds the attempt', async () => {
    const forged = uid('NEVER');
    await h.db.callbackEvent.create({
      data: {
        orderId: null,
        channel: 'redirect',
        appId: h.cfg.apps[0]!.appId,
        orderNo: forged,
        code: '0',
        verdict: 'rejected',
        reason: 'signature mismatch',
        params: { orderNo: forged, code: '0' },
        clientIp: '198.51.100.77',
      },
    });
    const res = await page(viewer, `/callbacks?orderNo=${forged}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(forged);
    expect(html).toContain(zh('callbacks.verdicts.rejected'));
    expect(html).toContain('signature mismatch');
    expect(html).toContain('198.51.100.77');
    expect(html).toContain(zh('callbacks.noOrder'));

    // Opening the forged number as an order says there is none and links to its attempts.
    const missing = await page(viewer, `/orders/${forged}`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain(`/console/callbacks?orderNo=${forged}`);

    const rows = (await call(h, viewer, 'GET', `/api/callbacks?verdict=rejected&orderNo=${forged}`).then((r) =>
      r.json(),
    )) as { attempts: { orderNo: string; clientIp: string }[]; total: number };
    expect(rows.total).toBe(1);
    expect(rows.attempts[0]).toMatchObject({ orderNo: forged, clientIp: '198.51.100.77' });
  });

  test('when an order is opened, then it links to the callback attempts for its number', async () => {
    const o = await seedOrder(h);
    expect(await (await page(viewer, `/orders/${o.id}`)).text()).toContain(`/console/callbacks?orderNo=${o.orderNo}`);
  });
});

describe('search and lists', () => {
  test('when the box holds an order-number prefix in another case, a user reference, a bizSeqNo or an h5faceId, then it finds the order', async () => {
    const o = await seedOrder(h, { orderNo: `${uid('Box')}xY` });
    const userRef = uid('user-');
    await h.db.order.update({ where: { id: o.id }, data: { userRef } });
    const row = await h.db.order.findUniqueOrThrow({ where: { id: o.id } });
    for (const q of [o.orderNo.slice(0, 12).toUpperCase(), userRef, row.bizSeqNo!, row.h5faceId!]) {
      const body = (await (await call(h, viewer, 'GET', `/api/orders?q=${encodeURIComponent(q)}`)).json()) as {
        orders: { id: string }[];
      };
      expect(body.orders.map((x) => x.id)).toContain(o.id);
    }
  });

  test('when paging, then next and previous keep the filters and the total is shown', async () => {
    const tag = uid('PG');
    for (let i = 0; i < 5; i++)
      await seedOrder(h, { orderNo: `${tag}${i}`, createdAt: new Date(Date.now() - i * 1000) });
    const first = (await (await call(h, viewer, 'GET', `/api/orders?q=${tag}&limit=2`)).json()) as {
      orders: { orderNo: string }[];
      total: number;
      nextCursor: string;
      prevCursor: string | null;
    };
    expect(first.total).toBe(5);
    expect(first.prevCursor).toBeNull();
    const second = (await (
      await call(h, viewer, 'GET', `/api/orders?q=${tag}&limit=2&cursor=${first.nextCursor}`)
    ).json()) as typeof first;
    expect(second.orders.map((o) => o.orderNo)).toEqual([`${tag}2`, `${tag}3`]);
    const back = (await (
      await call(h, viewer, 'GET', `/api/orders?q=${tag}&limit=2&before=${second.prevCursor}`)
    ).json()) as typeof first;
    expect(back.orders.map((o) => o.orderNo)).toEqual([`${tag}0`, `${tag}1`]);
    const html = await (await page(viewer, `/?q=${tag}&limit=2`)).text();
    expect(html).toContain(zh('search.total', { count: 5 }));
    expect(html).toContain('class="next"');
  });

  test('when a date shortcut is used, then only orders of that range are listed', async () => {
    const tag = uid('RG');
    await seedOrder(h, { orderNo: `${tag}new` });
    await seedOrder(h, { orderNo: `${tag}old`, createdAt: new Date(Date.now() - 10 * 24 * 3600_000) });
    const week = (await (await call(h, viewer, 'GET', `/api/orders?q=${tag}&range=7d`)).json()) as {
      orders: { orderNo: string }[];
    };
    expect(week.orders.map((o) => o.orderNo)).toEqual([`${tag}new`]);
    const month = (await (await call(h, viewer, 'GET', `/api/orders?q=${tag}&range=30d`)).json()) as typeof week;
    expect(month.orders).toHaveLength(2);
  });

  test('when an order number is put in the URL, then that order opens', async () => {
    const o = await seedOrder(h);
    const res = await page(viewer, `/orders/${o.orderNo}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/console/orders/${o.id}`);
  });

  test('when the result list is exported as CSV, then a purpose is required and kept in the audit row', async () => {
    const tag = uid('CSV');
    await seedOrder(h, { orderNo: `${tag}a`, resultCode: '66660018' });
    const refused = await page(auditor, `/orders.csv?q=${tag}`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(zh('errors.code.purpose_required'));
    const ua = uid('ua-');
    const res = await page(auditor, `/orders.csv?q=${tag}&purpose=${encodeURIComponent('工单 CS-42')}`, {
      'user-agent': ua,
    });
    expect(res.status).toBe(200);
    const csv = await res.text();
    expect(csv).toContain(zh('cli.orderNo'));
    expect(csv).toContain(`${tag}a`);
    expect(csv).toContain(zh('outcome.failed'));
    expect(csv).toMatch(/\+08:00/);
    const rows = await auditRowsFor(h, ua);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'orders.export', outcome: 'success' });
    expect(rows[0]!.detail).toMatchObject({ purpose: '工单 CS-42', results: 1 });
    // Viewers may not export lists.
    expect((await page(viewer, `/orders.csv?q=${tag}&purpose=x1`)).status).toBe(403);
  });
});

describe('purpose for sensitive actions', () => {
  test('when revealing without a purpose, then it is refused with its own code; with one, it is audited', async () => {
    const o = await seedOrder(h);
    const refused = await call(h, auditor, 'POST', `/api/orders/${o.id}/reveal`, { json: {} });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('purpose_required');
    const ua = uid('ua-');
    const ok = await call(h, auditor, 'POST', `/api/orders/${o.id}/reveal`, {
      json: { purpose: 'ticket CS-77' },
      headers: { 'user-agent': ua },
    });
    expect(ok.status).toBe(200);
    const rows = await auditRowsFor(h, ua);
    expect(rows[0]!.detail).toMatchObject({ purpose: 'ticket CS-77' });
    // The audit page shows the purpose in its own column.
    const audit = await (await page(auditor, `/audit?orderNo=${o.orderNo}&action=reveal`)).text();
    expect(audit).toContain('ticket CS-77');
  });
});

describe('smaller fixes', () => {
  test('when a viewer opens an auditor page, then the 403 page keeps the menu', async () => {
    const res = await page(viewer, '/audit');
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('<nav id="menu">');
    expect(html).toContain(zh('errors.code.forbidden'));
  });

  test('when the timeline is shown, then as readable words, not raw JSON', async () => {
    const o = await seedOrder(h);
    const html = await (await page(viewer, `/orders/${o.id}`)).text();
    expect(html).toContain(zh('timeline.events.archive_started'));
    expect(html).toContain(zh('timeline.keys.attempt'));
    expect(html).not.toContain('{&quot;attempt&quot;');
  });

  test('when a login is locked out, then the message says for how long, and an admin can unlock it', async () => {
    const user = await createUser(h, 'viewer');
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const attempt = () =>
      fetch(`${h.base}/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': ip,
          cookie: 'fa_login_csrf=t',
        },
        body: new URLSearchParams({ username: user.username, password: 'wrong-password!', _csrf: 't' }),
        redirect: 'manual',
      });
    let last: Response | undefined;
    for (let i = 0; i <= h.cfg.CONSOLE_LOGIN_MAX_FAILURES_PER_USER + 1; i++) last = await attempt();
    expect(last!.status).toBe(429);
    expect(await last!.text()).toContain(zh('login.locked', { minutes: h.cfg.CONSOLE_LOGIN_WINDOW_MINUTES }));
    const accounts = await (await page(admin, '/accounts')).text();
    expect(accounts).toContain(`/api/users/${user.username}/unlock`);
    const unlock = await call(h, admin, 'POST', `/api/users/${user.username}/unlock`, { json: {} });
    expect(unlock.status).toBe(200);
    await expect(login(h, user, ip)).resolves.toMatchObject({ csrf: expect.any(String) });
  });

  test('when times are shown, then in the display zone with its offset', async () => {
    const o = await seedOrder(h, { createdAt: new Date('2026-11-23T04:05:06Z') });
    const html = await (await page(viewer, `/orders/${o.id}`)).text();
    expect(html).toContain('2026-11-23 12:05:06 +08:00');
    expect(html).toContain('Asia/Shanghai');
    // WeBank's occurredTime (Beijing time without a zone) is labelled with the zone too.
    expect(html).toContain('2026-11-23 12:00:00 +08:00');
  });
});

test('the harness user can still log in (lockouts above are per user)', async () => {
  await expect(login(h, auditorUser)).resolves.toBeDefined();
});
