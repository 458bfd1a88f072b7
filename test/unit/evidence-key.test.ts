import { AppError } from '../../src/shared/platform/errors';
import { evidenceKey, evidenceKind, extensionFor, orderKeyPrefix } from '../../src/shared/evidence/keys';
import { JPEG } from '../../src/shared/evidence/media-type';

const parts = { appId: 'TIDA0001', orderNo: 'ord_2024-1', date: new Date('2024-01-09T16:30:00Z'), kind: 'front_photo' };

describe('evidence keys', () => {
  it('when parts are valid, then the key is prefix/appId/yyyy/mm/dd/orderNo/kind.ext (UTC date)', () => {
    expect(evidenceKey('evidence', parts, 'jpg')).toBe('evidence/TIDA0001/2024/01/09/ord_2024-1/front_photo.jpg');
    expect(evidenceKey('', parts, 'jpg')).toBe('TIDA0001/2024/01/09/ord_2024-1/front_photo.jpg');
    expect(orderKeyPrefix('evidence', parts)).toBe('evidence/TIDA0001/2024/01/09/ord_2024-1/');
  });

  it.each([
    ['an order number with a slash', { orderNo: '../../etc' }],
    ['an empty order number', { orderNo: '' }],
    ['an app id with a dot', { appId: 'a.b' }],
    ['a kind with a slash', { kind: 'photo/x' }],
    ['an invalid date', { date: new Date('nope') }],
  ])('when the parts hold %s, then no key is made', (_l, bad) => {
    expect(() => evidenceKey('evidence', { ...parts, ...bad }, 'jpg')).toThrow(AppError);
  });

  it('when a WeBank field name is given, then the kind is its snake_case form', () => {
    expect(['photo', 'video', 'frontPhoto', 'backCrop', 'headPhoto'].map(evidenceKind)).toEqual([
      'photo',
      'video',
      'front_photo',
      'back_crop',
      'head_photo',
    ]);
  });

  it('when the type is unknown, then the extension is bin', () => {
    expect(extensionFor(JPEG)).toBe('jpg');
    expect(extensionFor(undefined)).toBe('bin');
  });
});
