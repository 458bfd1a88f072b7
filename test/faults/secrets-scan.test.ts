import { findLeaks } from './support/secrets-scan';

// The fault suite's "no PII or secret in any log line" is only as good as its search: prove it finds
// each kind of value however it is embedded, and stays quiet on look-alikes.
describe('fault suite log scan', () => {
  const needles = [
    { label: 'ID number', value: '11010519900307421X' },
    { label: 'name', value: '欧阳伟芳娜' },
    { label: 'SIGN ticket', value: 'Ab3xQ9zR'.repeat(8) },
    { label: 'signature', value: '0123456789ABCDEF0123456789ABCDEF01234567' },
    { label: 'DATA_ENCRYPTION_KEY', value: 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8=' },
  ];
  const scan = (text: string) => findLeaks([{ process: 'web', text }], needles).map((l) => l.label);

  test('when a value appears inside JSON, a URL, a longer token or in another case, then it is found', () => {
    expect(scan('{"message":"x","idNo":"11010519900307421X"}')).toEqual(['ID number']);
    expect(scan('{"detail":"user 欧阳伟芳娜 failed"}')).toEqual(['name']);
    expect(scan(`GET /q?ticket=${'Ab3xQ9zR'.repeat(8)}&x=1`)).toEqual(['SIGN ticket']);
    expect(scan('sig=0123456789abcdef0123456789abcdef01234567')).toEqual(['signature']);
    expect(scan(`key ${encodeURIComponent('q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8=')}`)).toEqual([
      'DATA_ENCRYPTION_KEY (URL-encoded)',
    ]);
    expect(scan('bizSeqNo 9911010519900307421X77')).toEqual(['ID number']);
  });

  test('when only parts or other values appear, then nothing is reported', () => {
    expect(scan('{"idNo":"[redacted]","orderNo":"fv0001","sha256":"' + 'ab'.repeat(32) + '"}')).toEqual([]);
    expect(scan('11010519900307421 欧阳伟芳 0123456789ABCDEF0123456789ABCDEF0123456')).toEqual([]);
  });
});
