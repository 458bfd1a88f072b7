import { eventually, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { captureLogs } from '../support/log-capture';
import { uid } from '../support/web-harness';

/**
 * Issue 15, items 8 and 9: what a malicious (or broken) upstream can put in an answer must not
 * end up in error text, nor exhaust the worker.
 */
describe('hostile WeBank answers', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({
      env: { ARCHIVE_BACKOFF_MS: '100', ARCHIVE_POLL_INTERVAL_MS: '100', WEBANK_MAX_PHOTO_BYTES: String(100 * 1024) },
    });
  }, 60_000);
  afterAll(async () => p.close());

  const ID = '11010519491231002X';
  const NAME = '赵小六';

  test('(9) when WeBank echoes a name and an ID number in msg, then neither reaches last_error, the timeline, failedReason or the log', async () => {
    const logs = captureLogs();
    try {
      const orderNo = uid('pm');
      p.sim.createScan({ appId: p.appId, orderNo });
      p.sim.answerQueriesWith('66660099', 20, `身份证号 ${ID} 与姓名 ${NAME} 不匹配`);
      await redirectBack(p, orderNo);
      const order = await eventually(async () => {
        const o = await p.web.db.order.findUnique({
          where: { appId_orderNo: { appId: p.appId, orderNo } },
          include: { timeline: true },
        });
        return o?.status === 'FAILED' ? o : undefined;
      }, 30_000);
      expect(order.lastError).toMatch(/66660099/);
      expect(order.lastError).toMatch(/withheld/);
      const failed = await p.web.queue.getJobs(['failed']);
      const job = failed.find((j) => j.data.orderNo === orderNo);
      expect(job?.failedReason).toMatch(/66660099/);
      const everywhere = [
        order.lastError,
        JSON.stringify(order.timeline.map((t) => t.detail)),
        job?.failedReason,
        logs.lines.join('\n'),
      ].join('\n');
      expect(everywhere).not.toContain(ID);
      expect(everywhere).not.toContain(NAME);
    } finally {
      logs.stop();
      p.sim.clearFaults();
    }
  });

  test('(9) when a no-result answer carries personal data in msg, then last_error keeps only the code', async () => {
    const orderNo = uid('pn');
    p.sim.createScan({ appId: p.appId, orderNo });
    p.sim.answerQueriesWith('66660011', 1, `无此查询结果 ${ID}`);
    await redirectBack(p, orderNo);
    const order = await eventually(async () => {
      const o = await p.web.db.order.findUnique({ where: { appId_orderNo: { appId: p.appId, orderNo } } });
      return o?.status === 'NO_RESULT' ? o : undefined;
    });
    expect(order.lastError).toMatch(/^66660011/);
    expect(order.lastError).not.toContain(ID);
  });

  test('(8) when a photo is larger than its kind may be, then it is not stored and the error names the field, not the bytes', async () => {
    const orderNo = uid('pb');
    p.sim.createScan({ appId: p.appId, orderNo, photoBytes: 300 * 1024 });
    await redirectBack(p, orderNo);
    const order = await eventually(async () => {
      const o = await p.web.db.order.findUnique({
        where: { appId_orderNo: { appId: p.appId, orderNo } },
        include: { evidence: true },
      });
      return o?.lastError?.includes('larger than') ? o : undefined;
    });
    expect(order.lastError).toMatch(/file larger than 102400 bytes .*\(field photo\)/);
    expect(order.evidence.map((e) => e.kind)).not.toContain('photo');
    expect(order.status).not.toBe('ARCHIVED');
  });
});
