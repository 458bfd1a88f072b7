import { open, dataKey } from '../../src/shared/platform/sealed';
import { archiveJobId, enqueueArchive } from '../../src/shared/orders/archive-queue';
import {
  eventually,
  expectStoredAsServed,
  objectBytes,
  redirectBack,
  startPipeline,
  type Pipeline,
} from '../support/pipeline';
import { uid } from '../support/web-harness';

async function orderOf(p: Pipeline, orderNo: string) {
  return p.web.db.order.findUniqueOrThrow({
    where: { appId_orderNo: { appId: p.appId, orderNo } },
    include: { evidence: { orderBy: { kind: 'asc' } }, timeline: { orderBy: { id: 'asc' } } },
  });
}

const settled = (p: Pipeline, orderNo: string, statuses = ['ARCHIVED'], timeoutMs = 15_000) =>
  eventually(async () => {
    const o = await orderOf(p, orderNo);
    return statuses.includes(o.status) ? o : undefined;
  }, timeoutMs);

const syncRequests = (p: Pipeline, orderNo: string) =>
  p.sim.requests({ path: '/api/server/sync' }).filter((r) => r.query.order_no === orderNo);

describe('evidence archiver', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ env: { ARCHIVE_POLL_INTERVAL_MS: '2000' } });
  });
  afterAll(async () => p.close());
  afterEach(() => p.sim.clearFaults());

  test('when a passed scan comes back, then photo and video land in S3 byte-identical with their SHA-256 recorded', async () => {
    const orderNo = uid('o');
    const scan = p.sim.createScan({
      appId: p.appId,
      orderNo,
      outcome: 'pass',
      idNo: '110101199003074211',
      name: '王五',
    });
    expect((await redirectBack(p, orderNo)).status).toBe(302);
    const order = await settled(p, orderNo);

    expect(order).toMatchObject({ resultCode: '0', bizSeqNo: scan.bizSeqNo, archiveAttempts: 1, lastError: null });
    expect(order.liveRate).toBeTruthy();
    expect(order.similarity).toBeTruthy();
    const key = dataKey(p.cfg.DATA_ENCRYPTION_KEY);
    expect(order.idNoSealed).not.toContain('110101199003074211');
    expect(open(order.idNoSealed!, key)).toBe('110101199003074211');
    expect(open(order.nameSealed!, key)).toBe('王五');

    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    await expectStoredAsServed(p, orderNo, order.evidence);
    expect(order.evidence[0]!.key).toMatch(
      new RegExp(`^evidence/${p.appId}/\\d{4}/\\d{2}/\\d{2}/${orderNo}/photo\\.jpg$`),
    );
    // The timeline, in order: started, each file once stored (with its hash), archived.
    const stored = (kind: string) => order.evidence.find((e) => e.kind === kind)!;
    expect(order.timeline.map((e) => e.type)).toEqual([
      'archive_started',
      'evidence_stored',
      'evidence_stored',
      'archived',
    ]);
    expect(order.timeline[0]!.detail).toEqual({ attempt: 1 });
    expect(order.timeline.slice(1, 3).map((e) => e.detail)).toEqual(
      expect.arrayContaining(
        ['photo', 'video'].map((kind) => ({ kind, bytes: Number(stored(kind).bytes), sha256: stored(kind).sha256 })),
      ),
    );
    expect(order.timeline[3]!.detail).toEqual({ code: '0', bizSeqNo: expect.any(String) });
    expect(order.archivedAt).toBeInstanceOf(Date);

    // The simulator accepted our signature; every query had a fresh 32-char nonce.
    const reqs = syncRequests(p, orderNo);
    expect(reqs.every((r) => r.status === 200 && r.code === '0')).toBe(true);
    expect(reqs.every((r) => /^[A-Za-z0-9]{32}$/.test(r.query.nonce ?? ''))).toBe(true);
    expect(reqs[0]?.query.get_file).toBe('1');
  });

  test('when the archive job runs again for an archived order, then nothing is asked or stored again', async () => {
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo });
    await redirectBack(p, orderNo);
    const before = await settled(p, orderNo);
    const requestsBefore = syncRequests(p, orderNo).length;
    await enqueueArchive(
      p.web.queue,
      { appId: p.appId, orderNo, product: 'faceid', reason: 'test' },
      { generation: 1 },
    );
    await eventually(async () =>
      (await p.web.queue.getJob(archiveJobId('faceid', p.appId, orderNo, 1)))?.isCompleted(),
    );
    const after = await orderOf(p, orderNo);
    expect(syncRequests(p, orderNo)).toHaveLength(requestsBefore);
    expect(after.evidence).toEqual(before.evidence);
    expect(after.archiveAttempts).toBe(before.archiveAttempts);
  });

  test('when files lag the result by 1 s, then polling picks them up in the same attempt', async () => {
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo, fileDelayMs: 1000 });
    await redirectBack(p, orderNo);
    const order = await settled(p, orderNo);
    expect(order.archiveAttempts).toBe(1);
    expect(order.evidence).toHaveLength(2);
    expect(syncRequests(p, orderNo).length).toBeGreaterThanOrEqual(2);
  });

  test('when files lag by 5 s, then the order waits as EVIDENCE_PENDING and a later retry archives them', async () => {
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo, fileDelayMs: 5000 });
    await redirectBack(p, orderNo);
    await settled(p, orderNo, ['EVIDENCE_PENDING'], 10_000);
    const order = await settled(p, orderNo, ['ARCHIVED'], 20_000);
    expect(order.archiveAttempts).toBeGreaterThanOrEqual(2);
    expect(order.evidence).toHaveLength(2);
    expect(order.timeline.map((e) => e.type)).toContain('evidence_pending');
  });

  test("when WeBank has no result (66660011), then the order ends NO_RESULT with WeBank's message", async () => {
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo, outcome: 'risk' });
    // A risk-controlled scan still redirects with a failure code in real life; sign one.
    const q = new URLSearchParams({
      code: '66660016',
      orderNo,
      h5faceId: uid('h'),
      newSign: p.sim.signCallback(p.appId, orderNo, '66660016'),
    });
    expect((await fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${q}`, { redirect: 'manual' })).status).toBe(302);
    const order = await settled(p, orderNo, ['NO_RESULT']);
    expect(order.resultCode).toBe('66660011');
    expect(order.lastError).toContain('66660011');
    expect(order.evidence).toHaveLength(0);
    expect(order.archivedAt).toBeNull();
    expect(order.timeline.map((e) => [e.type, e.detail])).toEqual([
      ['archive_started', { attempt: 1 }],
      ['no_result', { code: '66660011', bizSeqNo: expect.any(String) }],
    ]);
  });
});

describe('evidence archiver under WeBank faults', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ env: { ARCHIVE_POLL_INTERVAL_MS: '200' } });
  });
  afterAll(async () => p.close());
  afterEach(() => p.sim.clearFaults());

  async function runThroughFault(fault: Parameters<Pipeline['sim']['setFaults']>[0], orderNo: string) {
    p.sim.createScan({ appId: p.appId, orderNo });
    p.sim.setFaults({ ...fault, paths: ['/api/server/sync'] });
    await redirectBack(p, orderNo);
    const failing = await eventually(async () => {
      const o = await orderOf(p, orderNo);
      return o.lastError ? o : undefined;
    });
    expect(failing.evidence.filter((e) => e.kind === 'video')).toHaveLength(0);
    p.sim.clearFaults();
    const order = await settled(p, orderNo);
    expect(order.archiveAttempts).toBeGreaterThanOrEqual(2);
    const served = p.sim.servedMedia(p.appId, orderNo);
    for (const ev of order.evidence) expect((await objectBytes(p, ev.key)).equals(served[ev.kind]!)).toBe(true);
    return { failing, order };
  }

  test('when WeBank answers 5xx, then the job retries and archives once it recovers', async () => {
    const { failing } = await runThroughFault({ http5xxRate: 1 }, uid('o'));
    expect(failing.lastError).toMatch(/50\d|HTTP/);
    expect(failing.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['archive_started', 'archive_retry']));
    expect(failing.timeline.find((e) => e.type === 'archive_retry')?.detail).toEqual({
      error: failing.lastError,
      attempt: 1,
    });
  });

  test('when WeBank answers malformed JSON, then nothing is stored from it and a retry archives', async () => {
    const { failing } = await runThroughFault({ malformedJsonRate: 1 }, uid('o'));
    expect(failing.lastError).toMatch(/Malformed|JSON/i);
  });

  test('when the base64 of the files is invalid, then no garbage is stored and a retry archives the real bytes', async () => {
    const orderNo = uid('o');
    const { failing } = await runThroughFault({ invalidBase64Rate: 1 }, orderNo);
    expect(failing.lastError).toMatch(/base64/i);
  });

  test('when the answer is cut inside the video after the photo was stored, then the rerun asks for and stores only the video', async () => {
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo });
    p.sim.setFaults({ truncatedJsonRate: 1, paths: ['/api/server/sync'] });
    await redirectBack(p, orderNo);
    const half = await eventually(async () => {
      const o = await orderOf(p, orderNo);
      return o.lastError && o.evidence.length === 1 ? o : undefined;
    });
    expect(half.evidence[0]!.kind).toBe('photo');
    const photoRow = half.evidence[0]!;
    const asked = syncRequests(p, orderNo).length;
    p.sim.clearFaults();
    const order = await settled(p, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    expect(order.evidence[0]).toEqual(photoRow);
    const later = syncRequests(p, orderNo).slice(asked);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((r) => r.query.get_file === '3')).toBe(true);
  });
});

describe('evidence archiver when WeBank refuses the ticket it signed with', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // No grace for a superseded ticket: the moment WeBank rotates, the one we hold is refused.
    // The keeper's minimum gap between forced refreshes, shortened so the test need not wait 5 s.
    p = await startPipeline({ sim: { ticketGraceMs: 0 }, env: { TICKET_MIN_FORCED_REFRESH_MS: '300' } });
    await eventually(async () => (await p.web.tickets.current(p.appId)) !== undefined);
  });
  afterAll(async () => p.close());

  test('when the ticket was rotated behind our back, then the query is refused (400101), the ticket refreshed once and the order archived', async () => {
    // A first order archived: the worker holds (and has recently read) the current ticket.
    const first = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo: first });
    await redirectBack(p, first);
    await settled(p, first);

    p.sim.rotateTickets(p.appId);
    // Let our ticket age past the keeper's minimum refresh gap, as a real rotation would.
    await new Promise((r) => setTimeout(r, 400));
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo });
    await p.web.db.order.create({
      data: {
        appId: p.appId,
        orderNo,
        product: 'faceid',
        status: 'QUEUED',
        source: 'CALLBACK',
        callbackCode: '0',
        verifiedAt: new Date(),
      },
    });
    const ticketCalls = p.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
    await enqueueArchive(p.web.queue, { appId: p.appId, orderNo, product: 'faceid', reason: 'test' });
    const order = await settled(p, orderNo);
    expect(order.archiveAttempts).toBe(1);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    const codes = syncRequests(p, orderNo).map((r) => r.code);
    expect(codes).toEqual(['400101', '0']);
    expect(p.sim.requests({ path: '/api/oauth2/api_ticket' }).length - ticketCalls).toBe(1);
  });
});
