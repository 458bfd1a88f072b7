import { startWeb, type WebHarness } from '../support/web-harness';

/** The error mapping as the assembled web app wires it: JSON app-wide, a page for browsers in the console. */
describe('errors through the web app', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await startWeb();
  });
  afterAll(async () => h.close());

  const postJson = (path: string, body: string, accept = 'application/json') =>
    fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body });

  test('when the partner API gets malformed or oversized JSON, then 400 bad_request and 413 too_large, as JSON', async () => {
    const malformed = await postJson('/api/orders', '{"orderNo": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'bad_request', message: 'malformed request' });
    const large = await postJson('/api/orders', JSON.stringify({ orderNo: 'x'.repeat(20_000) }));
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({ error: 'too_large', message: 'request body too large' });
  });

  test('when no route matches or the URL is too long, then JSON with a stable code', async () => {
    const missing = await fetch(`${h.url}/no/such/route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'no such route' });
    const long = await fetch(`${h.url}/api/orders?pad=${'x'.repeat(5000)}`);
    expect(long.status).toBe(414);
    expect(await long.json()).toEqual({ error: 'uri_too_long', message: 'URI too long' });
  });

  test('when a browser asks the console for something that is not there, then an HTML page; a script gets JSON', async () => {
    const page = await fetch(`${h.url}/console/no-such-page`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await page.text();
    // Staff read our words in Chinese by default, not the developer message.
    expect(text).toContain('找不到您要的内容。');
    expect(text).not.toContain('no such console page');
    const api = await postJson('/console/api/login', JSON.stringify({ username: 'x'.repeat(40_000) }));
    expect(api.status).toBe(413);
    expect(await api.json()).toEqual({ error: 'too_large', message: 'request body too large' });
  });
});
