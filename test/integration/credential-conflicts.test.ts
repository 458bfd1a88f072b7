import { startSimulator, type Simulator } from '../../src/simulator';
import { createApiToken } from '../../src/shared/compliance/staff/api-tokens';
import { dataKey } from '../../src/shared/platform/sealed';
import { CredentialConflicts } from '../../src/shared/webank/tickets/credential-conflicts';
import { TicketKeeper } from '../../src/shared/webank/tickets/keeper';
import { TicketStore } from '../../src/shared/webank/tickets/ticket-store';
import { startFauxqs, type FauxqsS3 } from '../support/fauxqs';
import { startWeb, testConfig, uid, type WebHarness } from '../support/web-harness';

/**
 * Another system refreshing tokens for the same WBappid: WeBank (the simulator with its
 * one-minute rule shortened) kills ours, and the service must notice, say so on /readyz and in a
 * metric, and never take a new token from a request path.
 */
describe('one credential owner', () => {
  let sim: Simulator;
  let s3: FauxqsS3;
  let h: WebHarness;
  let keeper: TicketKeeper;
  let token: string;
  const appId = uid('TIDA');
  const secret = uid('secret');

  beforeAll(async () => {
    [sim, s3] = await Promise.all([startSimulator({ apps: [{ appId, secret }], tokenOverlapMs: 1 }), startFauxqs()]);
    const cfg = testConfig({
      WEBANK_APP_ID: appId,
      WEBANK_SECRET: secret,
      WEBANK_BASE_URL: sim.url,
      CREDENTIAL_CONFLICT_MAX_PER_HOUR: '1',
      ...s3.s3Env,
    });
    h = await startWeb({ cfg });
    keeper = new TicketKeeper({ db: h.db, redis: h.redis, config: h.cfg, minForcedGapMs: 0, debounceMs: 0 });
    token = (await createApiToken(h.db, h.cfg, { kind: 'partner', name: uid('backend') })).token;
  });
  afterAll(async () => {
    await keeper.stop();
    await h.close();
    await Promise.all([sim.close(), s3.stop()]);
  });

  const start = (userId: string) =>
    fetch(`${h.url}/api/verifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ userId }),
    });
  const tokensTaken = () => sim.requests({ path: '/api/oauth2/access_token' }).length;
  const readyz = async () => {
    const res = await fetch(`${h.opsUrl}/readyz`);
    return { status: res.status, body: (await res.json()) as { status: string; warnings?: string[] } };
  };

  test('when no credentials are held yet, then a start answers 503, records nothing and asks WeBank for nothing', async () => {
    const res = await start('early1');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('credentials_unavailable');
    expect(await h.db.order.count({ where: { appId } })).toBe(0);
    expect(sim.requests()).toHaveLength(0);
  });

  test('when another system takes a token for our WBappid, then our next start is refused, counted as a conflict, and /readyz and the metric say so, without us taking a token', async () => {
    await keeper.start();
    expect((await start('before1')).status).toBe(201);
    expect((await readyz()).body.warnings).toBeUndefined();

    // The other system: a token of its own for the same app; WeBank leaves ours (here) 1 ms.
    const other = await fetch(
      `${sim.url}/api/oauth2/access_token?${new URLSearchParams({ appId, secret, grant_type: 'client_credential', version: '1.0.0' })}`,
    );
    expect(((await other.json()) as { code: string }).code).toBe('0');
    const taken = tokensTaken();

    const refused = await start('after1');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'credentials_refused', details: { webankCode: '400103' } });
    const failed = await h.db.order.findFirstOrThrow({
      where: { appId, userRef: 'after1' },
      include: { timeline: { orderBy: { id: 'asc' } } },
    });
    expect(failed.status).toBe('FAILED');
    expect(failed.nextSweepAt).toBeNull();
    expect(failed.timeline.at(-1)).toMatchObject({
      type: 'start_failed',
      detail: { step: 'nonce_ticket', code: '400103' },
    });
    // One refresh of ours refused counts once, however many calls it fails.
    expect((await start('after2')).status).toBe(503);
    expect(await h.db.credentialConflict.count({ where: { appId } })).toBe(1);
    expect(tokensTaken()).toBe(taken);

    // Our next refresh (the keeper's schedule) is killed by their next one: a second conflict, past the threshold of 1.
    expect(await keeper.refreshNow(appId, 'schedule')).toBe('refreshed');
    await fetch(
      `${sim.url}/api/oauth2/access_token?${new URLSearchParams({ appId, secret, grant_type: 'client_credential', version: '1.0.0' })}`,
    );
    expect((await start('after3')).status).toBe(503);
    const report = await readyz();
    expect(report.status).toBe(200); // advisory: pulling the replica would only lose callbacks
    expect(report.body.warnings).toEqual(['credential_conflict']);
    const metrics = await (await fetch(`${h.opsUrl}/metrics`)).text();
    expect(metrics).toContain(`faceid_credential_conflict_suspected{app="${appId}"} 1`);
    expect(metrics).toContain(`faceid_credential_conflicts_last_hour{app="${appId}"} 2`);
  });
});

describe('credential conflicts: what counts', () => {
  let h: WebHarness;
  let store: TicketStore;
  let conflicts: CredentialConflicts;
  beforeAll(async () => {
    h = await startWeb();
    store = new TicketStore(h.db, dataKey(h.cfg.DATA_ENCRYPTION_KEY));
    conflicts = new CredentialConflicts(h.db, { windowMs: 30 * 60_000, maxPerHour: 2 });
  });
  afterAll(async () => h.close());

  const ago = (ms: number) => new Date(Date.now() - ms);

  test('when WeBank refuses a ticket we obtained minutes ago and still hold, then it is a conflict', async () => {
    const appId = uid('TIDA');
    await store.save(appId, 'young-ticket', 3600, ago(5 * 60_000));
    expect(await conflicts.ticketRefused(appId, 'young-ticket', 'query', '400101')).toBe(true);
  });

  test('when WeBank refuses a ticket we replaced ourselves a while ago, an old one, or one we never had, then it is no conflict', async () => {
    const appId = uid('TIDA');
    await store.save(appId, 'replaced-by-us', 3600, ago(10 * 60_000));
    await store.save(appId, 'current', 3600, ago(2 * 60_000));
    expect(await conflicts.ticketRefused(appId, 'replaced-by-us', 'query', '400101')).toBe(false);
    const old = uid('TIDA');
    await store.save(old, 'old-ticket', 7200, ago(45 * 60_000));
    expect(await conflicts.ticketRefused(old, 'old-ticket', 'query', '400101')).toBe(false);
    expect(await conflicts.ticketRefused(appId, 'never-ours', 'query', '400101')).toBe(false);
    expect(await h.db.credentialConflict.count({ where: { appId: { in: [appId, old] } } })).toBe(0);
  });

  test('when the archiver reports a refused ticket to the keeper, then the keeper counts the conflict', async () => {
    const appId = uid('TIDA');
    const sim = await startSimulator({ apps: [{ appId, secret: 's' }] });
    const cfg = testConfig({ WEBANK_APP_ID: appId, WEBANK_SECRET: 's', WEBANK_BASE_URL: sim.url });
    const keeper = new TicketKeeper({ db: h.db, redis: h.redis, config: cfg, debounceMs: 0 });
    try {
      await keeper.start();
      const ticket = (await store.current(appId))!.value;
      await keeper.refreshNow(appId, 'signature rejected', { refused: { ticket, code: '400101' } });
      const rows = await h.db.credentialConflict.findMany({ where: { appId } });
      expect(rows).toMatchObject([{ source: 'query', code: '400101' }]);
    } finally {
      await keeper.stop();
      await sim.close();
    }
  });
});
