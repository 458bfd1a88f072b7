import { loadConfig } from '../../src/shared/platform/config';
import { deliveryJobId, retryDelayMs } from '../../src/shared/partners/delivery-queue';
import { checkEndpointUrl, isPrivateAddress } from '../../src/shared/partners/url-guard';
import { sendWebhook } from '../../src/shared/partners/webhook-send';
import { eventUuid } from '../../src/shared/partners/replay';
import { eventMessageId } from '../../src/shared/partners/deliverer';

describe('webhook delivery rules', () => {
  test('job ids are never integers and never hold a colon, and a replay gets its own', () => {
    const id = deliveryJobId(42n, 0);
    expect(id).toBe('whd-42-0');
    expect(Number.isInteger(Number(id))).toBe(false);
    expect(id).not.toContain(':');
    expect(deliveryJobId(42n, 1)).not.toBe(id);
  });

  test('retries back off exponentially with jitter, capped, and by default keep trying for at least 3 days', () => {
    const cfg = loadConfig(process.env);
    const base = cfg.WEBHOOK_BACKOFF_BASE_MS;
    const max = cfg.WEBHOOK_BACKOFF_MAX_MS;
    expect(retryDelayMs(1, base, max, () => 0)).toBe(base / 2);
    expect(retryDelayMs(1, base, max, () => 1)).toBe(base);
    expect(retryDelayMs(3, base, max, () => 1)).toBe(base * 4);
    expect(retryDelayMs(60, base, max, () => 1)).toBe(max);
    const samples = new Set(Array.from({ length: 20 }, () => retryDelayMs(5, base, max)));
    expect(samples.size).toBeGreaterThan(1);
    expect(cfg.WEBHOOK_RETRY_HORIZON_SECONDS).toBeGreaterThanOrEqual(3 * 24 * 3600);
    expect(cfg.WEBHOOK_TIMEOUT_MS).toBe(10_000);
    // Even with the shortest jitter every time, the schedule reaches the horizon in a sane number of attempts.
    let t = 0;
    let n = 0;
    while (t < cfg.WEBHOOK_RETRY_HORIZON_SECONDS * 1000) t += retryDelayMs(++n, base, max, () => 0);
    expect(n).toBeLessThan(100);
  });

  test.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    'not-an-ip',
  ])('%s is a private (refused) address', (a) => expect(isPrivateAddress(a)).toBe(true));

  test.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111'])('%s is public', (a) =>
    expect(isPrivateAddress(a)).toBe(false),
  );

  test('endpoint URLs: private hosts refused unless allowed; https required when asked; no credentials', async () => {
    const strict = { allowPrivate: false, requireHttps: true };
    await expect(checkEndpointUrl('https://127.0.0.1/hook', strict)).rejects.toThrow(/private or loopback/);
    await expect(checkEndpointUrl('https://localhost/hook', strict)).rejects.toThrow(/private or loopback/);
    await expect(checkEndpointUrl('https://[::1]/hook', strict)).rejects.toThrow(/private or loopback/);
    await expect(checkEndpointUrl('https://169.254.169.254/latest', strict)).rejects.toThrow(/private/);
    await expect(checkEndpointUrl('http://93.184.216.34/hook', strict)).rejects.toThrow(/https/);
    await expect(checkEndpointUrl('https://u:p@93.184.216.34/hook', strict)).rejects.toThrow(/credentials/);
    await expect(checkEndpointUrl('ftp://93.184.216.34/', strict)).rejects.toThrow(/http/);
    await expect(checkEndpointUrl('https://93.184.216.34/hook', strict)).resolves.toBeInstanceOf(URL);
    await expect(
      checkEndpointUrl('http://127.0.0.1:9/hook', { allowPrivate: true, requireHttps: false }),
    ).resolves.toBeInstanceOf(URL);
  });

  test('a send to a private address is refused at connect time too (an IP literal, or a name resolving to one)', async () => {
    const opts = { timeoutMs: 1000, allowPrivate: false };
    expect(await sendWebhook('http://127.0.0.1:9/x', {}, '{}', opts)).toMatchObject({
      status: null,
      error: 'private address refused',
    });
    expect(await sendWebhook('http://localhost:9/x', {}, '{}', opts)).toMatchObject({
      status: null,
      error: 'EPRIVATEADDR',
    });
  });

  test('event ids: the webhook-id is evt_ + the UUID without dashes, and replay accepts either form', () => {
    const uuid = '0b3c5a57-1d2e-4f60-9a7b-8c9d0e1f2a3b';
    const msg = eventMessageId(uuid);
    expect(msg).toBe('evt_0b3c5a571d2e4f609a7b8c9d0e1f2a3b');
    expect(eventUuid(msg)).toBe(uuid);
    expect(eventUuid(uuid)).toBe(uuid);
    expect(() => eventUuid('evt_nope')).toThrow();
  });
});
