import {
  callbackSign,
  newNonce,
  querySign,
  signatureMatches,
  verifyCallback,
  webankSign,
} from '../../src/shared/webank/signature';

const vector = {
  appId: 'appId001',
  orderNo: 'test1480921551481',
  ticket: 'duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe',
  code: '0',
};

describe('WeBank signatures', () => {
  test('when signing the documented callback vector, then the documented signature comes out', () => {
    expect(callbackSign(vector)).toBe('526365E042766AE27A6E52D2E4829D4C6E156B5D');
  });

  test('when comparing, then case is ignored and any other value fails', () => {
    expect(
      signatureMatches('526365e042766ae27a6e52d2e4829d4c6e156b5d', '526365E042766AE27A6E52D2E4829D4C6E156B5D'),
    ).toBe(true);
    expect(
      signatureMatches('526365E042766AE27A6E52D2E4829D4C6E156B5C', '526365E042766AE27A6E52D2E4829D4C6E156B5D'),
    ).toBe(false);
    expect(signatureMatches('526365E0', '526365E042766AE27A6E52D2E4829D4C6E156B5D')).toBe(false);
    expect(
      signatureMatches('Z26365E042766AE27A6E52D2E4829D4C6E156B5D', '526365E042766AE27A6E52D2E4829D4C6E156B5D'),
    ).toBe(false);
  });

  test.each(['appId', 'orderNo', 'ticket', 'code'] as const)(
    'when %s is tampered, then the signature differs',
    (field) => {
      expect(callbackSign({ ...vector, [field]: `${vector[field]}x` })).not.toBe(
        '526365E042766AE27A6E52D2E4829D4C6E156B5D',
      );
    },
  );

  test('when verifying against several tickets, then the matching one is reported', () => {
    const signature = callbackSign(vector);
    const matched = verifyCallback({ ...vector, signature }, [
      { value: 'newer-ticket', label: 'current' },
      { value: vector.ticket, label: 'previous-1' },
    ]);
    expect(matched?.label).toBe('previous-1');
    expect(verifyCallback({ ...vector, signature }, [{ value: 'other', label: 'current' }])).toBeUndefined();
  });

  test('when signing a query, then the five values are sorted before hashing', () => {
    const p = { appId: 'a', orderNo: 'b', version: '1.0.0', ticket: 't', nonce: 'n'.repeat(32) };
    expect(querySign(p)).toBe(webankSign(['1.0.0', 'a', 'b', 'n'.repeat(32), 't']));
    expect(querySign(p)).toMatch(/^[0-9A-F]{40}$/);
  });

  test('when making nonces, then each is 32 letters or digits and new', () => {
    const a = newNonce();
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(newNonce()).not.toBe(a);
  });
});
