import { callbackSign } from '../../../src/shared/webank/signature';
import { WebankClient } from '../../../src/shared/webank/client';
import { TicketReader } from '../../../src/shared/webank/tickets/ticket-reader';
import { SignTicketRereader } from '../../../src/shared/webank/tickets/ticket-reread';
import { eventually, startPipeline, type Pipeline } from '../../support/pipeline';
import { uid } from '../../support/web-harness';

/**
 * Issue 15, item 1: a signature that matches no held ticket comes from anyone on the internet.
 * It must never make us take a new access_token (each one leaves every other holder's token a
 * minute: another system sharing the WBappid would be cut off), and it must not hold requests.
 */
const OVERLAP_MS = 2000;

describe('forged callbacks and WeBank credentials', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ workers: false, sim: { tokenOverlapMs: OVERLAP_MS } });
    // The keeper takes our token and ticket once, then stops: nothing scheduled interferes below.
    await p.startWorkers();
    await eventually(async () => (await p.web.tickets.current(p.appId)) !== undefined);
    await p.stopWorkers();
  }, 60_000);
  afterAll(async () => p.close());

  async function otherSystemToken(): Promise<string> {
    const q = new URLSearchParams({
      app_id: p.appId,
      secret: p.cfg.WEBANK_SECRET,
      grant_type: 'client_credential',
      version: '1.0.0',
    });
    const body = (await (await fetch(`${p.sim.url}/api/oauth2/access_token?${q}`)).json()) as {
      access_token: string;
    };
    return body.access_token;
  }

  async function tokenAlive(token: string): Promise<boolean> {
    const q = new URLSearchParams({ app_id: p.appId, access_token: token, type: 'SIGN', version: '1.0.0' });
    const body = (await (await fetch(`${p.sim.url}/api/oauth2/api_ticket?${q}`)).json()) as { code: string };
    return body.code === '0';
  }

  function forge(ip: string): Promise<{ status: number; ms: number }> {
    const orderNo = uid('fg');
    const q = new URLSearchParams({
      code: '0',
      orderNo,
      h5faceId: 'h5',
      newSign: callbackSign({ appId: p.appId, orderNo, ticket: uid('guess'), code: '0' }),
    });
    const started = Date.now();
    return fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${q}`, {
      redirect: 'manual',
      headers: { 'X-Forwarded-For': ip },
    }).then((r) => ({ status: r.status, ms: Date.now() - started }));
  }

  test('when 30 forged callbacks arrive over several seconds, then no access_token is taken, at most one ticket is re-read and none is held', async () => {
    // Another system using the same WBappid takes its own token after ours.
    const theirs = await otherSystemToken();
    const tokens = p.sim.requests({ path: '/api/oauth2/access_token' }).length;
    const tickets = p.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
    const answers: { status: number; ms: number }[] = [];
    for (let round = 0; round < 6; round++) {
      answers.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => forge(`203.0.113.${round * 5 + i}`)))));
      await new Promise((r) => setTimeout(r, 1100));
    }
    expect(answers.every((a) => a.status === 403 || a.status === 503)).toBe(true);
    expect(p.sim.requests({ path: '/api/oauth2/access_token' }).length - tokens).toBe(0);
    expect(p.sim.requests({ path: '/api/oauth2/api_ticket' }).length - tickets).toBeLessThanOrEqual(1);
    // A re-read is one short WeBank call; nobody waits for a refresh schedule.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(2000);
    // The other system's token outlives the overlap window: we took no token that would end it.
    await new Promise((r) => setTimeout(r, OVERLAP_MS + 500));
    expect(await tokenAlive(theirs)).toBe(true);
  }, 60_000);

  test('when one address asks for many re-reads, then it gets its own few and others still get theirs', async () => {
    const rereader = new SignTicketRereader({
      reader: new TicketReader({ db: p.web.db, redis: p.web.redis, config: p.cfg }),
      client: WebankClient.fromConfig(p.cfg),
      redis: p.web.redis,
      prefix: `${p.cfg.QUEUE_PREFIX}:${uid('rr')}`,
      minGapSeconds: 0, // only the per-address limit counts here
      perIpLimit: 3,
      perIpWindowSeconds: 600,
    });
    try {
      const tickets = p.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
      const outcomes = [];
      for (let i = 0; i < 10; i++) outcomes.push(await rereader.reread(p.appId, '198.51.100.7'));
      expect(outcomes.filter((o) => o === 'limited')).toHaveLength(7);
      expect(p.sim.requests({ path: '/api/oauth2/api_ticket' }).length - tickets).toBe(3);
      expect(await rereader.reread(p.appId, '198.51.100.8')).not.toBe('limited');
      expect(p.sim.requests({ path: '/api/oauth2/access_token' }).length).toBe(2); // ours and the other system's
    } finally {
      rereader.close();
    }
  }, 30_000);

  test('when an address that spent its re-reads comes back while the slot is taken, then it is refused at once, and others are asked to wait', async () => {
    const rereader = new SignTicketRereader({
      reader: new TicketReader({ db: p.web.db, redis: p.web.redis, config: p.cfg }),
      client: WebankClient.fromConfig(p.cfg),
      redis: p.web.redis,
      prefix: `${p.cfg.QUEUE_PREFIX}:${uid('rr')}`,
      minGapSeconds: 60,
      perIpLimit: 1,
      perIpWindowSeconds: 600,
    });
    try {
      // The first re-read reaches WeBank (our token may be dead by now after the other system's
      // refresh above: 'failed' is a re-read asked all the same).
      const asked = p.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
      expect(['same', 'new', 'failed']).toContain(await rereader.reread(p.appId, '198.51.100.20'));
      expect(p.sim.requests({ path: '/api/oauth2/api_ticket' }).length - asked).toBe(1);
      // Its allowance is spent: "try again" would only keep a forger's browser reloading for the
      // rest of the gap.
      expect(await rereader.reread(p.appId, '198.51.100.20')).toBe('limited');
      // Another address may hold a redirect signed with a ticket rotated since: it waits.
      expect(await rereader.reread(p.appId, '198.51.100.21')).toBe('busy');
    } finally {
      rereader.close();
    }
  }, 30_000);
});
