import { type Simulator, startSimulator } from '../../src/simulator';
import { fixture } from '../../src/simulator/media';
import { APP, getJson, queryUrl, sleep } from './helpers';

const OCR_IMAGES = ['frontPhoto', 'backPhoto', 'frontCrop', 'backCrop', 'headPhoto'];

describe('simulator: files, get_file and products', () => {
  let sim: Simulator;
  let ticket: string;
  beforeAll(async () => {
    sim = await startSimulator({ apps: [APP] });
    ticket = sim.currentTicket(APP.appId);
  });
  afterAll(() => sim.close());

  test('when the file delay has not elapsed, then the result comes without files, and with them after', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-delay-1', fileDelayMs: 300 });
    const early = await getJson(queryUrl(sim, { orderNo: 'order-delay-1', ticket }));
    expect(early.code).toBe('0');
    expect(early.result.orderNo).toBe('order-delay-1');
    expect(early.result.photo ?? null).toBeNull();
    expect(early.result.video ?? null).toBeNull();
    await sleep(350);
    const late = await getJson(queryUrl(sim, { orderNo: 'order-delay-1', ticket }));
    expect(Buffer.from(late.result.photo, 'base64')).toEqual(fixture('face.jpg'));
    expect(Buffer.from(late.result.video, 'base64')).toEqual(fixture('face.mp4'));
  });

  test('when the simulator has a default file delay, then scans inherit it', async () => {
    const slow = await startSimulator({ apps: [APP], fileDelayMs: 60_000 });
    try {
      const scan = slow.createScan({ appId: APP.appId, orderNo: 'order-delay-2' });
      expect(scan.filesReadyAt.getTime() - scan.finishedAt.getTime()).toBe(60_000);
      const body = await getJson(queryUrl(slow, { orderNo: 'order-delay-2', ticket: slow.currentTicket(APP.appId) }));
      expect(body.result.photo ?? null).toBeNull();
    } finally {
      await slow.close();
    }
  });

  test.each([
    ['1', true, true],
    ['2', true, false],
    ['3', false, true],
    ['0', false, false],
    ['', false, false],
  ])('when get_file=%p, then photo %p and video %p', async (getFile, photo, video) => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-getfile' });
    const body = await getJson(queryUrl(sim, { orderNo: 'order-getfile', ticket, getFile }));
    expect(body.code).toBe('0');
    expect(typeof body.result.photo === 'string').toBe(photo);
    expect(typeof body.result.video === 'string').toBe(video);
  });

  test('when photos are PNG or sized, then the served bytes are a valid image of about that size', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-png', photoType: 'png' });
    sim.createScan({ appId: APP.appId, orderNo: 'order-bigjpg', photoBytes: 200_000 });
    sim.createScan({
      appId: APP.appId,
      orderNo: 'order-bigpng',
      photoType: 'png',
      photoBytes: 150_000,
      videoBytes: 300_000,
    });
    const png = await getJson(queryUrl(sim, { orderNo: 'order-png', ticket, getFile: '2' }));
    expect(Buffer.from(png.result.photo, 'base64')).toEqual(fixture('face.png'));

    const jpg = Buffer.from(
      (await getJson(queryUrl(sim, { orderNo: 'order-bigjpg', ticket, getFile: '2' }))).result.photo,
      'base64',
    );
    expect(jpg.length).toBe(200_000);
    expect(jpg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(jpg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));

    const big = await getJson(queryUrl(sim, { orderNo: 'order-bigpng', ticket }));
    const bigPng = Buffer.from(big.result.photo, 'base64');
    expect(bigPng.length).toBe(150_000);
    expect(bigPng.subarray(0, 8)).toEqual(fixture('face.png').subarray(0, 8));
    expect(bigPng.subarray(-12)).toEqual(fixture('face.png').subarray(-12));
    const video = Buffer.from(big.result.video, 'base64');
    expect(video.length).toBe(300_000);
    expect(video.toString('latin1', 4, 8)).toBe('ftyp');
    expect(video.subarray(0, fixture('face.mp4').length).equals(fixture('face.mp4'))).toBe(true);
    expect(sim.servedMedia(APP.appId, 'order-bigpng').video?.equals(video)).toBe(true);
  });

  test('when a liveness scan is queried, then getLiveResult answers and sync does not', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-live-1', product: 'liveness' });
    const body = await getJson(
      queryUrl(sim, { path: '/api/server/getLiveResult', orderNo: 'order-live-1', ticket, getFile: '3' }),
    );
    expect(body.code).toBe('0');
    expect(body.result).toMatchObject({
      orderNo: 'order-live-1',
      liveRate: expect.any(String),
      occurredTime: expect.any(String),
      success: false,
    });
    expect(body.result.photo ?? null).toBeNull();
    expect(Buffer.from(body.result.video, 'base64')).toEqual(fixture('face.mp4'));
    expect(body.result.idNo).toBeUndefined();
    expect((await getJson(queryUrl(sim, { orderNo: 'order-live-1', ticket }))).code).toBe('66660011');
    const unsigned = await getJson(
      queryUrl(sim, { path: '/api/server/getLiveResult', orderNo: 'order-live-1', ticket: 'wrong' }),
    );
    expect(unsigned.code).toBe('400101');
  });

  test("when both OCR sides succeed, then get_file=1 brings every image and other values none, in today's shape (1007/35864)", async () => {
    sim.createScan({
      appId: APP.appId,
      orderNo: 'order-ocr-1',
      product: 'ocr',
      idNo: '11010519491231002X',
      name: '王五',
    });
    const path = '/api/server/getOcrResult';
    const body = await getJson(queryUrl(sim, { path, orderNo: 'order-ocr-1', ticket }));
    expect(body.code).toBe('0');
    expect(body.result).toMatchObject({
      orderNo: 'order-ocr-1',
      frontCode: '0',
      backCode: '0',
      name: '王五',
      idcard: '11010519491231002X',
      birth: '19491231',
      sex: '女',
      nation: '汉',
      success: false,
      frontMultiWarning: '',
      backMultiWarning: '',
      bizSeqNo: expect.stringMatching(/^\d{32}$/),
      transactionTime: expect.stringMatching(/^\d{14}$/),
    });
    expect(body.result.validDate).toMatch(/^\d{8}-\d{8}$/);
    expect(body.result.authority).toBeTruthy();
    expect(body.result.address).toBeTruthy();
    expect(body.result.frontClarity).toBeTruthy();
    expect(body.result.backClarity).toBeTruthy();
    for (const old of ['Name', 'Idcard', 'validate', 'Authority']) expect(body.result).not.toHaveProperty(old);
    for (const f of OCR_IMAGES) expect(Buffer.from(body.result[f], 'base64')).toEqual(fixture('face.jpg'));
    const served = sim.servedMedia(APP.appId, 'order-ocr-1');
    expect(Object.keys(served).sort()).toEqual([...OCR_IMAGES].sort());
    for (const getFile of ['2', '3', '0']) {
      const none = await getJson(queryUrl(sim, { path, orderNo: 'order-ocr-1', ticket, getFile }));
      for (const f of OCR_IMAGES) expect(none.result[f] ?? null).toBeNull();
    }
  });

  test.each([
    ['front', { front: true, back: false }],
    ['back', { front: false, back: true }],
  ])(
    'when only the %s side succeeds, then the other side has a non-zero code, no data and no images',
    async (side, ocr) => {
      const orderNo = `order-ocr-${side}`;
      sim.createScan({ appId: APP.appId, orderNo, product: 'ocr', ocr });
      const r = (await getJson(queryUrl(sim, { path: '/api/server/getOcrResult', orderNo, ticket }))).result;
      const front = side === 'front';
      expect(r.frontCode === '0').toBe(front);
      expect(r.backCode === '0').toBe(!front);
      expect(Boolean(r.name)).toBe(front);
      expect(Boolean(r.authority)).toBe(!front);
      for (const f of ['frontPhoto', 'frontCrop', 'headPhoto']) expect(Boolean(r[f])).toBe(front);
      for (const f of ['backPhoto', 'backCrop']) expect(Boolean(r[f])).toBe(!front);
      const served = sim.servedMedia(APP.appId, orderNo);
      expect(served.frontPhoto === undefined).toBe(!front);
      expect(served.backPhoto === undefined).toBe(front);
    },
  );

  test('when a scan has empty crops, then the sides are recognised, their photos served and the crops ""', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-ocr-nocrop', product: 'ocr', emptyCrops: true });
    const r = (await getJson(queryUrl(sim, { path: '/api/server/getOcrResult', orderNo: 'order-ocr-nocrop', ticket })))
      .result;
    expect(r).toMatchObject({ frontCode: '0', backCode: '0', frontCrop: '', backCrop: '' });
    for (const f of ['frontPhoto', 'backPhoto', 'headPhoto']) expect(Boolean(r[f])).toBe(true);
    const served = sim.servedMedia(APP.appId, 'order-ocr-nocrop');
    expect(served.frontCrop).toBeUndefined();
    expect(served.backCrop).toBeUndefined();
  });

  test('when emptyCropRate is 1, then every OCR scan has empty crops; face scans are unaffected', async () => {
    const s2 = await startSimulator({ apps: [APP], emptyCropRate: 1 });
    try {
      expect(s2.createScan({ appId: APP.appId, orderNo: 'c1', product: 'ocr' }).emptyCrops).toBe(true);
      expect(s2.createScan({ appId: APP.appId, orderNo: 'c2' }).emptyCrops).toBe(false);
    } finally {
      await s2.close();
    }
  });

  test('when a face mode produces no video, then the answer carries the photo and an empty video', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-novideo', withoutFiles: ['video'] });
    const r = (await getJson(queryUrl(sim, { orderNo: 'order-novideo', ticket }))).result;
    expect(Buffer.from(r.photo, 'base64')).toEqual(fixture('face.jpg'));
    expect(r.video).toBe('');
  });

  test('when SIM_LEGACY_SHAPES is on, then OCR answers use the older spelling and occurredTime is readable', async () => {
    const legacy = await startSimulator({ apps: [APP], legacyShapes: true });
    try {
      const t = legacy.currentTicket(APP.appId);
      legacy.createScan({ appId: APP.appId, orderNo: 'l1', product: 'ocr', idNo: '11010519491231002X', name: '王五' });
      const r = (await getJson(queryUrl(legacy, { path: '/api/server/getOcrResult', orderNo: 'l1', ticket: t })))
        .result;
      expect(r).toMatchObject({ Name: '王五', Idcard: '11010519491231002X', Sex: '女', Birth: '19491231' });
      expect(r.validate).toBeTruthy();
      expect(r.Authority).toBeTruthy();
      for (const now of ['name', 'idcard', 'validDate', 'frontMultiWarning']) expect(r).not.toHaveProperty(now);
      legacy.createScan({ appId: APP.appId, orderNo: 'l2' });
      const sync = (await getJson(queryUrl(legacy, { orderNo: 'l2', ticket: t }))).result;
      expect(sync.occurredTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(sync).not.toHaveProperty('transactionTime');
    } finally {
      await legacy.close();
    }
  });
});
