import { open } from '../../src/shared/platform/sealed';
import { canonicalFields, resultColumns, resultField } from '../../src/shared/webank/result-fields';
import { captureLogs } from '../support/log-capture';

const key = Buffer.alloc(32, 3);
const envelope = { code: '0', msg: '请求成功' };
const opened = (sealed: unknown) => (typeof sealed === 'string' ? open(sealed, key) : sealed);
const openedPii = (sealed: unknown) =>
  typeof sealed === 'string' ? (JSON.parse(open(sealed, key)) as Record<string, string>) : sealed;

describe('result columns', () => {
  test('when the answer carries no ID number or name, then the sealed identity is left as it is (a started order sealed it), not cleared', () => {
    const columns = resultColumns('faceid', envelope, { orderNo: 'o1', liveRate: '99' }, key);
    expect(columns.idNoSealed).toBeUndefined();
    expect(columns.nameSealed).toBeUndefined();
  });

  test('when the answer carries them, then they are sealed', () => {
    const columns = resultColumns('faceid', envelope, { idNo: '110105199003074213', name: '王小明' }, key);
    expect(columns.idNoSealed).toMatch(/^v1\./);
    expect(columns.nameSealed).toMatch(/^v1\./);
    expect(opened(columns.idNoSealed)).toBe('110105199003074213');
    expect(opened(columns.nameSealed)).toBe('王小明');
  });

  test('when an OCR answer uses the current spellings, then every field lands in its column, sealed set or details', () => {
    const columns = resultColumns(
      'ocr',
      { code: '0', msg: 'ok', bizSeqNo: 'envelope-seq' },
      {
        orderNo: 'o1',
        bizSeqNo: 'result-seq',
        idcard: '110105199003074213',
        name: '王小明',
        sex: '男',
        nation: '汉',
        birth: '19900307',
        address: '北京市',
        authority: '某公安局',
        validDate: '20200101-20300101',
        frontCode: '0',
        backCode: '0',
        frontWarnCode: '0',
        backWarnCode: '-9100',
        frontMultiWarning: 'a',
        backMultiWarning: 'b',
        frontClarity: '90',
        backClarity: '91',
        operateTime: '2026-06-01 12:00:00',
        transactionTime: '20260601120000',
        sdkVersion: '1.0',
        trtcFlag: 'Y',
        success: 'true',
        appId: 'TIDA0001',
      },
      key,
    );
    expect(opened(columns.idNoSealed)).toBe('110105199003074213');
    expect(opened(columns.nameSealed)).toBe('王小明');
    expect(openedPii(columns.piiSealed)).toEqual({
      sex: '男',
      nation: '汉',
      birth: '19900307',
      address: '北京市',
      authority: '某公安局',
    });
    expect(columns).toMatchObject({
      resultCode: '0',
      resultMsg: 'ok',
      bizSeqNo: 'result-seq',
      liveRate: null,
      similarity: null,
      occurredTime: '2026-06-01 12:00:00',
      idType: null,
    });
    expect(columns.details).toEqual({
      validDate: '20200101-20300101',
      frontCode: '0',
      backCode: '0',
      frontWarnCode: '0',
      backWarnCode: '-9100',
      frontMultiWarning: 'a',
      backMultiWarning: 'b',
      frontClarity: '90',
      backClarity: '91',
      operateTime: '2026-06-01 12:00:00',
      transactionTime: '20260601120000',
      sdkVersion: '1.0',
      trtcFlag: 'Y',
    });
  });

  test('when a face answer uses the older spellings and any case, then they are read as the same fields', () => {
    const columns = resultColumns(
      'faceid',
      { code: '0' },
      {
        order_no: 'o1',
        IdNo: '110105199003074213',
        NAME: '王小明',
        Sex: '女',
        LIVERATE: 99,
        similarity: 88.5,
        occurredTime: '20260601120000',
        operateTime: 'ignored-when-occurred-given',
        idType: '1',
        validate: '20200101-20300101',
        app_id: 'TIDA0001',
        Success: false,
      },
      key,
    );
    expect(opened(columns.idNoSealed)).toBe('110105199003074213');
    expect(opened(columns.nameSealed)).toBe('王小明');
    expect(openedPii(columns.piiSealed)).toEqual({ sex: '女' });
    expect(columns).toMatchObject({
      resultMsg: null,
      bizSeqNo: null,
      liveRate: '99',
      similarity: '88.5',
      occurredTime: '20260601120000',
      idType: '1',
    });
    expect(columns.details).toEqual({ validDate: '20200101-20300101', operateTime: 'ignored-when-occurred-given' });
  });

  test('when detail fields come in another case, then they are kept under their canonical names', () => {
    const details = [
      'frontCode',
      'backCode',
      'frontWarnCode',
      'backWarnCode',
      'frontMultiWarning',
      'backMultiWarning',
      'frontClarity',
      'backClarity',
      'validDate',
      'operateTime',
      'transactionTime',
      'sdkVersion',
      'trtcFlag',
    ];
    const result = Object.fromEntries(details.map((f) => [f.toUpperCase(), `v-${f}`]));
    const columns = resultColumns('ocr', { code: '0' }, result, key);
    expect(columns.details).toEqual(Object.fromEntries(details.map((f) => [f, `v-${f}`])));
    expect(columns.piiSealed).toBeNull();
  });

  test('when the result has no serial, then the envelope one is kept', () => {
    const columns = resultColumns('faceid', { code: '66660004', msg: '失败', bizSeqNo: 'env' }, {}, key);
    expect(columns).toMatchObject({ resultCode: '66660004', resultMsg: '失败', bizSeqNo: 'env', occurredTime: null });
    expect(columns.piiSealed).toBeNull();
    expect(columns.details).toBeUndefined();
  });

  test('when fields are empty or null, then they are not kept at all', () => {
    const columns = resultColumns(
      'faceid',
      { code: '0', msg: '' },
      { name: '', idNo: null, sex: null, liveRate: undefined, frontCode: '', extra: null },
      key,
    );
    expect(columns.resultMsg).toBeNull();
    expect(columns.nameSealed).toBeUndefined();
    expect(columns.idNoSealed).toBeUndefined();
    expect(columns.liveRate).toBeNull();
    expect(columns.piiSealed).toBeNull();
    expect(columns.details).toBeUndefined();
  });

  test('when an unknown field looks personal, then it is sealed and logged by name only; other unknown fields stay in details', () => {
    const personal = [
      'fullName',
      'idno2',
      'id_no2',
      'idnum',
      'id_num',
      'IDCARDX',
      'bankCard',
      'certType',
      'homeAddress',
      'addr2',
      'birthday',
      'sexCode',
      'gender',
      'nationality',
      'phone',
      'mobile',
      'tel',
      'email',
      'issuingAuthority',
      'validity',
      'faceScore',
      'personKind',
      'userRef',
    ];
    const long = `extraName${'x'.repeat(80)}`;
    const result: Record<string, string> = { riskLevel: 'low', channel: 'h5', [long]: 'v-long' };
    for (const f of personal) result[f] = `v-${f}`;
    const logs = captureLogs();
    let columns;
    try {
      columns = resultColumns('faceid', { code: '0' }, result, key);
    } finally {
      logs.stop();
    }
    const sealed = openedPii(columns.piiSealed) as Record<string, string>;
    expect(Object.keys(sealed).sort()).toEqual([...personal, long].sort());
    expect(sealed.fullName).toBe('v-fullName');
    expect(columns.details).toEqual({ riskLevel: 'low', channel: 'h5' });
    expect(logs.lines).toHaveLength(1);
    const line = JSON.parse(logs.lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      message: 'unknown personal-looking result fields sealed',
      component: 'result-fields',
      product: 'faceid',
    });
    expect(line.fields).toEqual([long.slice(0, 64), ...personal]);
    expect(logs.lines[0]).not.toMatch(/v-/);
  });

  test('when nothing unknown looks personal, then nothing is logged', () => {
    const logs = captureLogs();
    try {
      resultColumns('faceid', { code: '0' }, { riskLevel: 'low' }, key);
    } finally {
      logs.stop();
    }
    expect(logs.lines).toEqual([]);
  });

  test('when personal data is not stored (PII_STORAGE=drop), then none of it is kept, sealed or in clear', () => {
    const columns = resultColumns(
      'ocr',
      { code: '0' },
      { idcard: '110105199003074213', name: '王小明', address: '北京市', fullName: 'x', frontCode: '0' },
      undefined,
    );
    expect(columns.idNoSealed).toBeUndefined();
    expect(columns.nameSealed).toBeUndefined();
    expect(columns.piiSealed).toBeNull();
    expect(columns.details).toEqual({ frontCode: '0' });
  });

  test('when the answer has top-level fields beside the result, then scalars are kept, nested objects ignored, and the result wins', () => {
    const columns = resultColumns('faceid', { code: '0' }, { liveRate: '99' }, key, {
      order_no: 'o1',
      liveRate: '10',
      similarity: '70',
      channel: 'top',
      result: { nested: 'x' },
      list: ['a'],
      none: null,
    });
    expect(columns).toMatchObject({ liveRate: '99', similarity: '70' });
    expect(columns.details).toEqual({ channel: 'top' });
  });
});

describe('canonical fields', () => {
  test('when two spellings of a field are both present, then the first wins', () => {
    const { known, unknown } = canonicalFields({ idNo: 'first', idcard: 'second', riskLevel: 1, flag: true });
    expect(known).toEqual(new Map([['idNo', 'first']]));
    expect(unknown).toEqual(
      new Map([
        ['riskLevel', '1'],
        ['flag', 'true'],
      ]),
    );
  });

  test('when a caller branches on a field, then either spelling and any case answers', () => {
    expect(resultField({ FrontCode: '0' }, 'frontCode')).toBe('0');
    expect(resultField({ validate: 'd' }, 'validDate')).toBe('d');
    expect(resultField({ backCode: '' }, 'backCode')).toBeUndefined();
    expect(resultField({}, 'backCode')).toBeUndefined();
  });
});
