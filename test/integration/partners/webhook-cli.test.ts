import { PassThrough } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';
import { resultThenArchived, startWebhooks, type WebhookHarness } from '../../support/webhook-harness';
import { TestReceiver } from '../../support/webhook-receiver';
import { uid } from '../../support/web-harness';

describe('npm run cli -- webhook add|list|disable|enable|rotate-secret|replay|log', () => {
  let h: WebhookHarness;
  const r = new TestReceiver();

  beforeAll(async () => {
    h = startWebhooks();
    await r.start();
  });
  afterAll(async () => {
    await r.stop();
    await h.close();
  });

  async function cli(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const osUser = uid('op-');
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      readStdin: async () => '',
      promptSecret: () => Promise.reject(new Error('no terminal in tests')),
      interactive: false,
      env: { ...process.env, WEBANK_APP_ID: h.cfg.WEBANK_APP_ID, QUEUE_PREFIX: h.cfg.QUEUE_PREFIX },
      osUser,
      stderr: new PassThrough(),
    };
    const code = await runCli(args, io);
    return { code, out, err, actor: `cli:${osUser}` };
  }

  test('staff add an endpoint (secret shown once), see it listed, replay, rotate and disable it; every step is audited', async () => {
    const refused = await cli(['webhook', 'add', r.url]);
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toMatch(/private or loopback/);

    const added = await cli(['webhook', 'add', r.url, '--app', 'default', '--allow-private']);
    expect(added.code).toBe(0);
    const secret = added.out[0]!;
    expect(secret).toMatch(/^whsec_/);
    r.secrets = [secret];
    const id = /endpoint ([0-9a-f-]{36})/.exec(added.err.join('\n'))![1]!;
    expect(
      await h.db.auditEntry.count({ where: { actor: added.actor, action: 'webhook.add', outcome: 'success' } }),
    ).toBe(1);
    const rows = await h.db.auditEntry.findMany({
      where: { actor: added.actor },
      select: { detail: true, target: true },
    });
    expect(JSON.stringify(rows)).not.toContain(secret.slice(6));

    const listed = await cli(['webhook', 'list']);
    expect(listed.out.join('\n')).toContain(`${id}\tenabled\tdefault\tall-events\t${r.url}`);

    await resultThenArchived(h.db, h.cfg);
    await r.waitFor(2);
    // The receiver answered before the worker recorded it.
    for (
      let i = 0;
      i < 200 && (await h.db.webhookDelivery.count({ where: { endpointId: id, status: 'delivered' } })) < 2;
      i++
    )
      await new Promise((x) => setTimeout(x, 25));
    const log = await cli(['webhook', 'log', id]);
    expect(log.out).toHaveLength(2);
    expect(log.out.join('\n')).toMatch(/delivered\tattempts=1\tlast=204/);

    const replayed = await cli(['webhook', 'replay', id, '--event', r.processed[0]!.id]);
    expect(replayed.out).toEqual(['1 deliveries queued again']);
    await waitFor(() => r.raw.length === 3);

    const rotated = await cli(['webhook', 'rotate-secret', id]);
    expect(rotated.code).toBe(0);
    const fresh = rotated.out[0]!;
    expect(fresh).not.toBe(secret);
    r.secrets = [fresh];
    await cli(['webhook', 'replay', id, '--event', r.processed[1]!.id]);
    await waitFor(() => r.raw.length === 4);
    const last = r.raw[3]!;
    expect(last.verified).toBe(true);
    expect(() => new Webhook(secret).verify(JSON.stringify(last.body), last.headers)).not.toThrow();

    const disabled = await cli(['webhook', 'disable', id, '--reason', 'partner asked']);
    expect(disabled.code).toBe(0);
    expect((await cli(['webhook', 'list'])).out.join('\n')).toContain('disabled (partner asked)');
    const enabled = await cli(['webhook', 'enable', id]);
    expect(enabled.code).toBe(0);
    for (const [run, action] of [
      [replayed, 'webhook.replay'],
      [rotated, 'webhook.rotate_secret'],
      [disabled, 'webhook.disable'],
      [enabled, 'webhook.enable'],
    ] as const)
      expect(await h.db.auditEntry.count({ where: { actor: run.actor, action, outcome: 'success' } })).toBe(1);
  });
});

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((x) => setTimeout(x, 25));
  }
}
