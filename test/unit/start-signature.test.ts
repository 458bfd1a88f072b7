import { webankSign } from '../../src/shared/webank/signature';
import { h5FaceIdUploadSign, h5LoginSign, sdkStartSign, uploadSign } from '../../src/shared/webank/start-signature';

// The official examples of Tencent Cloud's 人脸核身 pages (docs/simulator.md, "Start flow", cites each).
const DOC_SIGN_TICKET = 'duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe';
const PLUS = {
  appId: 'IDAXXXXX',
  userId: 'userID19959248596551',
  nonce: 'kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T',
  version: '1.0.0',
  ticket: 'XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS',
};
const LOGIN = {
  appId: 'appId001',
  userId: 'userID19959248596551',
  nonce: 'kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T',
  version: '1.0.0',
  faceId: 'bwiwe1457895464',
  orderNo: 'aabc1457895464',
  ticket: 'zxc9Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS',
};

describe('start-flow signatures on the official vectors', () => {
  test('when signing the geth5faceid example of 655/32412, then the page’s sign comes out', () => {
    const sign = h5FaceIdUploadSign({
      appId: 'appId001',
      orderNo: '19959248596551',
      name: 'testName',
      idNo: '4300000000000',
      userId: '19959248596551',
      version: '1.0.0',
      ticket: DOC_SIGN_TICKET,
    });
    expect(sign).toBe('11670F8BD6181CF71FB4656534253A0627D835CF');
  });

  test('when signing the PC H5 example of 1007/35893, then the page’s sign comes out', () => {
    const sign = h5FaceIdUploadSign({
      appId: 'appId001',
      orderNo: 'orderNo19959248596551',
      name: 'testName',
      idNo: '4300000000000',
      userId: 'userID19959248596551',
      version: '1.0.0',
      ticket: DOC_SIGN_TICKET,
    });
    expect(sign).toBe('EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B');
  });

  test('when signing the getPlusFaceId upload example of 1007/114177, then the page’s sign comes out', () => {
    expect(uploadSign(PLUS)).toBe('D7606F1741DDCF90757DA924EDCF152A200AC7F0');
  });

  test('when signing the SDK start example of 1007/75896 (NONCE ticket), then the page’s sign comes out', () => {
    expect(sdkStartSign(PLUS)).toBe('D7606F1741DDCF90757DA924EDCF152A200AC7F0');
  });

  test('when signing the login example of 1007/114178 and 655/32413, then the sorted join matches the page and its SHA-1 comes out', () => {
    // The pages print the sorted list; their printed sign lies beyond every stored copy, so the
    // expected value is the SHA-1 of the page's joined string (computed independently, /work/notes).
    expect(h5LoginSign(LOGIN)).toBe('4E9DFABF938BF37BDB7A7DC25CCA1233D12D986B');
  });

  test.each([
    ['appId', { appId: 'appId002' }],
    ['userId', { userId: 'userID19959248596552' }],
    ['orderNo', { orderNo: 'aabc1457895465' }],
    ['faceId', { faceId: 'bwiwe1457895465' }],
    ['ticket', { ticket: LOGIN.ticket.replace('zxc9', 'zxc8') }],
    ['nonce', { nonce: LOGIN.nonce.replace('kHoS', 'kHoT') }],
  ])('when the login’s %s changes, then the sign changes', (_field, change) => {
    expect(h5LoginSign({ ...LOGIN, ...change })).not.toBe(h5LoginSign(LOGIN));
  });

  test('when geth5faceid is sent without name and idNo (自带源), then they are left out of the sign, not signed as empty', () => {
    const base = { appId: 'appId001', orderNo: 'o1', userId: 'u1', version: '1.0.0', ticket: DOC_SIGN_TICKET };
    expect(h5FaceIdUploadSign(base)).toBe(webankSign(['appId001', 'o1', 'u1', '1.0.0', DOC_SIGN_TICKET]));
    expect(h5FaceIdUploadSign({ ...base, name: '', idNo: '' })).toBe(h5FaceIdUploadSign(base));
    expect(h5FaceIdUploadSign(base)).not.toBe(h5FaceIdUploadSign({ ...base, name: 'testName', idNo: '4300000000000' }));
  });
});
