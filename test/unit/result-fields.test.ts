import { resultColumns } from '../../src/shared/webank/result-fields';

const key = Buffer.alloc(32, 3);
const envelope = { code: '0', msg: '请求成功' };

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
  });
});
