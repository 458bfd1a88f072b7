import type { Server } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { AppError } from '../../src/shared/platform/errors';
import { WebankHttpError } from '../../src/shared/webank/errors';
import { translator } from '../../src/shared/compliance/i18n/translator';
import { browserErrorHandler, httpErrorOf, jsonErrorHandler } from '../../src/web/http-errors';

const zh = translator('zh-CN');
import { captureLogs } from '../support/log-capture';

/** What an unknown error might say: it must never reach the client. */
const LEAKY = 'duplicate key for 110101199003074211 (张三)';

/** A router like the console's: a body parser with a limit, routes that fail in each way, the handler under test. */
async function serve(handler: ErrorRequestHandler): Promise<{ url: string; close: () => Promise<void> }> {
  const router = express.Router();
  router.use(express.json({ limit: '1kb' }));
  router.post('/echo', (req, res) => {
    res.json(req.body);
  });
  router.get('/app-error', () => {
    throw new AppError('integrity_failed', 409, 'a file no longer matches its hash', { files: ['photo'] });
  });
  router.get('/login-first', () => {
    throw new AppError('unauthorized', 401, 'log in or present a staff API token');
  });
  router.get('/markup', () => {
    throw new AppError('bad_request', 400, 'orderNo: expected <letters & digits>');
  });
  router.get('/unknown', () => {
    throw new Error(LEAKY);
  });
  router.get('/foreign-status', () => {
    throw new WebankHttpError(404, '/api/server/sync');
  });
  router.get('/cut-off', async (_req, res) => {
    res.status(200).type('text/csv');
    // The first rows are on the wire (headers included) before the failure, as in a long CSV export.
    await new Promise<void>((resolve) => res.write('id,orderNo\r\n1,', () => resolve()));
    throw new Error(`stream broke at ${LEAKY}`);
  });
  router.use(handler);
  const app = express();
  app.use('/console', router);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/console`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const failures = (lines: string[]) => lines.filter((l) => l.includes('"request failed"'));

const renderers = [
  {
    name: 'JSON renderer (jsonErrorHandler)',
    handler: jsonErrorHandler,
    json: true,
    accept: 'application/json',
    contentType: /^application\/json/,
    /** What a program is told for an error with this developer message and code: the message itself. */
    says: (message: string, _code: string) => message,
    /** What the client is told, as it would read it. */
    shown: async (res: Response) => {
      const body = (await res.json()) as { error: string; message: string; details?: unknown };
      return { text: JSON.stringify(body), message: body.message, code: body.error as string | undefined };
    },
  },
  {
    name: 'HTML renderer (browserErrorHandler, browser asking for a page)',
    handler: browserErrorHandler(),
    json: false,
    accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    contentType: /^text\/html/,
    /** Staff read the catalogue's words for the code (Chinese by default), never the developer message. */
    says: (_message: string, code: string) => zh(`errors.code.${code}`),
    shown: async (res: Response) => {
      const text = await res.text();
      const message = /<p class="error" role="alert"[^>]*>([^<]*)<\/p>/.exec(text)?.[1];
      return { text, message, code: undefined };
    },
  },
];

describe.each(renderers)('$name', (r) => {
  let srv: Awaited<ReturnType<typeof serve>>;
  let logs: ReturnType<typeof captureLogs>;
  beforeAll(async () => {
    srv = await serve(r.handler);
  });
  afterAll(async () => srv.close());
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.stop());

  const get = (path: string) => fetch(`${srv.url}${path}`, { headers: { accept: r.accept } });
  const post = (body: string) =>
    fetch(`${srv.url}/echo`, {
      method: 'POST',
      headers: { accept: r.accept, 'content-type': 'application/json' },
      body,
    });

  test('when a route throws an AppError, then its status, code and message are answered, uncached and not logged', async () => {
    const res = await get('/app-error');
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(r.contentType);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const shown = await r.shown(res);
    expect(shown.message).toBe(r.says('a file no longer matches its hash', 'integrity_failed'));
    if (r.json) expect(shown.code).toBe('integrity_failed');
    expect(failures(logs.lines)).toEqual([]);
  });

  test('when the JSON body is malformed, then the body parser’s 400 is kept: bad_request, not logged', async () => {
    const res = await post('{"username": "a", ');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(r.contentType);
    const shown = await r.shown(res);
    expect(shown.message).toBe(r.says('malformed request', 'bad_request'));
    if (r.json) expect(shown.code).toBe('bad_request');
    expect(shown.text).not.toContain('Unexpected');
    expect(failures(logs.lines)).toEqual([]);
  });

  test('when the body is over the limit, then 413 too_large, not logged', async () => {
    const res = await post(JSON.stringify({ pad: 'x'.repeat(2048) }));
    expect(res.status).toBe(413);
    const shown = await r.shown(res);
    expect(shown.message).toBe(r.says('request body too large', 'too_large'));
    if (r.json) expect(shown.code).toBe('too_large');
    expect(failures(logs.lines)).toEqual([]);
  });

  test('when a route throws an unknown error, then 500 with no detail, and the error is logged once (redacted)', async () => {
    const res = await get('/unknown');
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(r.contentType);
    const shown = await r.shown(res);
    expect(shown.message).toBe(r.says('internal error', 'internal'));
    if (r.json) expect(shown.code).toBe('internal');
    expect(shown.text).not.toMatch(/duplicate key|110101199003074211|张三/);
    const logged = failures(logs.lines);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('duplicate key for');
    expect(logged[0]).toContain('"path":"/console/unknown"');
    expect(logged[0]).not.toContain('110101199003074211');
  });

  test('when an error carries a status of someone else’s answer (WeBank’s 404), then it is our 500, not a 404', async () => {
    const res = await get('/foreign-status');
    expect(res.status).toBe(500);
    expect((await r.shown(res)).message).toBe(r.says('internal error', 'internal'));
    expect(failures(logs.lines)).toHaveLength(1);
  });

  test('when a route fails after the response started, then the connection is cut (no complete-looking body) and it is logged once', async () => {
    const res = await get('/cut-off');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const logged = failures(logs.lines);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"cutOff":true');
  });
});

describe('HTML renderer details', () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    srv = await serve(browserErrorHandler());
  });
  afterAll(async () => srv.close());

  test('when the page needs a login, then it links to the console’s login', async () => {
    const res = await fetch(`${srv.url}/login-first`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(401);
    const page = await res.text();
    expect(page).toContain(`<a href="/console/login">${zh('errors.login')}</a>`);
    expect(page).toContain(`<title>${zh('errors.heading.401')} · 合规控制台</title>`);
    expect(page).toContain('<html lang="zh-CN">');
  });

  test('when the browser prefers English, then the page is in English', async () => {
    const res = await fetch(`${srv.url}/login-first`, {
      headers: { accept: 'text/html', 'accept-language': 'en-GB,en;q=0.9' },
    });
    const page = await res.text();
    expect(page).toContain('<a href="/console/login">Log in</a>');
    expect(page).toContain('<title>Login required · compliance console</title>');
    expect(page).toContain('Please log in.');
  });

  test('when the developer message holds request details, then the staff page does not show it, only our words', async () => {
    const res = await fetch(`${srv.url}/markup`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).not.toContain('letters');
    expect(page).toContain(zh('errors.code.bad_request'));
  });

  test('when the client prefers JSON (the console’s script, curl), then the same error comes as JSON', async () => {
    const res = await fetch(`${srv.url}/app-error`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: 'integrity_failed',
      message: 'a file no longer matches its hash',
      details: { files: ['photo'] },
    });
  });
});

describe('httpErrorOf', () => {
  test('when given anything that is not an AppError or an Express client error, then 500 internal, to be logged', () => {
    for (const err of [new Error('x'), 'a string', null, undefined, { status: 404 }, { status: 302, statusCode: 302 }])
      expect(httpErrorOf(err)).toEqual({ status: 500, code: 'internal', message: 'internal error', log: true });
  });

  test('when an AppError is a server fault, then it is logged; a refusal is not', () => {
    expect(httpErrorOf(new AppError('unavailable', 503, 'no ticket')).log).toBe(true);
    expect(httpErrorOf(new AppError('forbidden', 403, 'no')).log).toBe(false);
  });
});
