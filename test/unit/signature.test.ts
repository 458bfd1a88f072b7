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

  test('when asking for another length, then the nonce has exactly that length', () => {
    for (const length of [1, 7, 33, 100]) expect(newNonce(length)).toMatch(new RegExp(`^[A-Za-z0-9]{${length}}$`));
  });

  test('when making many nonces, then every letter and digit is equally likely (no modulo bias)', () => {
    // 256 = 4 × 62 + 8: taking every byte modulo 62 would make 'A'–'H' a quarter more likely
    // than the rest. 248 000 characters give each an expected 4 000 (σ ≈ 62); the biased draw puts
    // 'A'–'H' near 4 840 and keeping byte 248 puts 'A' near 4 980, while ±400 (6σ) holds by chance
    // with a probability of about 1 − 10⁻⁸.
    const counts = new Map<string, number>();
    for (let i = 0; i < 7750; i++) for (const c of newNonce()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const [c, n] of counts) {
      expect([c, n > 3600 && n < 4400]).toEqual([c, true]);
    }
  });

  test('when hashing text beyond ASCII (a Chinese name), then its UTF-8 bytes are signed', () => {
    // SHA-1 of the UTF-8 of '4300000000000张三' (sorted), computed independently.
    expect(webankSign(['张三', '4300000000000'])).toBe('185B528876B3E7A1B47154B433329FFE1C010F04');
  });

  test('when a received signature differs from the expected one only in its last character, then it fails', () => {
    // Comparing a prefix (say the first 20 hex characters) would let this through (issue 17).
    const expected = callbackSign(vector);
    const last = expected.at(-1) === '0' ? '1' : '0';
    expect(signatureMatches(`${expected.slice(0, -1)}${last}`, expected)).toBe(false);
    expect(
      verifyCallback({ ...vector, signature: `${expected.slice(0, -1)}${last}` }, [
        { value: vector.ticket, label: 'current' },
      ]),
    ).toBeUndefined();
  });

  test.each([
    ['one hex character before it', (s: string) => `0${s}`],
    ['one hex character after it', (s: string) => `${s}0`],
    ['a letter before it', (s: string) => `x${s}`],
    ['a letter after it', (s: string) => `${s}x`],
    ['a line break after it', (s: string) => `${s}\n`],
  ])('when a valid signature arrives with %s, then it does not match (and nothing throws)', (_what, wrap) => {
    const expected = callbackSign(vector);
    expect(signatureMatches(wrap(expected), expected)).toBe(false);
    expect(signatureMatches(expected, wrap(expected))).toBe(false);
    expect(
      verifyCallback({ ...vector, signature: wrap(expected) }, [{ value: vector.ticket, label: 'current' }]),
    ).toBeUndefined();
  });

  test('when several candidate tickets match, then the first (current) one is reported', () => {
    const signature = callbackSign(vector);
    const matched = verifyCallback({ ...vector, signature }, [
      { value: vector.ticket, label: 'current' },
      { value: vector.ticket, label: 'previous-1' },
    ]);
    expect(matched?.label).toBe('current');
  });
});
