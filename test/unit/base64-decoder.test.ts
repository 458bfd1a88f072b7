import { randomBytes } from 'node:crypto';
import { StrictBase64Decoder } from '../../src/shared/webank/strict-base64-decoder';
import { MalformedResponseError } from '../../src/shared/webank/malformed-response-error';

/** Decodes `text` written in pieces cut at `cuts`. */
function decodeInPieces(text: string, cuts: number[]): Buffer {
  const src = Buffer.from(text, 'latin1');
  const d = new StrictBase64Decoder();
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, src.length]) {
    out.push(d.write(src, at, cut));
    at = cut;
  }
  d.end();
  return Buffer.concat(out);
}

const decode = (text: string) => decodeInPieces(text, []);

describe('StrictBase64Decoder', () => {
  it('when the input is cut at any one or two places, then the bytes equal a one-shot decode', () => {
    for (const size of [0, 1, 2, 3, 4, 5, 31, 32, 33]) {
      const raw = randomBytes(size);
      const text = raw.toString('base64');
      for (let i = 0; i <= text.length; i++) {
        expect(decodeInPieces(text, [i])).toEqual(raw);
        for (let j = i; j <= text.length; j += 3) expect(decodeInPieces(text, [i, j])).toEqual(raw);
      }
    }
  });

  it('when fed one character at a time, then a large value decodes exactly', () => {
    const raw = randomBytes(3000);
    const text = raw.toString('base64');
    expect(decodeInPieces(text, [...Array(text.length).keys()])).toEqual(raw);
  });

  it.each([
    ['a space', 'QUJD REVG'],
    ['a line feed', 'QUJD\nREVG'],
    ['URL-safe minus', 'QUJD-EVG'],
    ['URL-safe underscore', 'QUJD_EVG'],
    ['a non-ASCII byte', 'QUJD\xe9EVG'],
    ['an asterisk', 'QU*D'],
  ])('when the input holds %s, then it is rejected', (_label, text) => {
    expect(() => decode(text)).toThrow(/invalid base64: invalid character/);
  });

  it.each([
    ['padding in the middle', 'QQ==QUJD', /padding in the middle|data after padding/],
    ['padding then more groups', 'QUI=QUJD', /padding in the middle|data after padding/],
    ['three padding characters', 'Q===', /misplaced padding/],
    ['only padding', '====', /misplaced padding/],
    ['padding before data in a group', 'QU=D', /misplaced padding/],
    ['a length that is not a multiple of 4', 'QUJDRA', /not a multiple of 4/],
    ['unpadded tail', 'QUI', /not a multiple of 4/],
  ])('when the input has %s, then it is rejected', (_label, text, message) => {
    for (let cut = 0; cut <= text.length; cut++) {
      expect(() => decodeInPieces(text, [cut])).toThrow(message);
    }
  });

  it('when the error is thrown, then it is a MalformedResponseError naming the position', () => {
    try {
      decode('QUJDREVG QUJD');
      throw new Error('not rejected');
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as Error).message).toContain('at character 8');
    }
  });

  it('when padding ends the value, then both forms decode', () => {
    expect(decode('QQ==')).toEqual(Buffer.from('A'));
    expect(decode('QUI=')).toEqual(Buffer.from('AB'));
    expect(decode('QUJDQQ==')).toEqual(Buffer.from('ABCA'));
  });

  it('when the unused bits before padding are not zero, then they are ignored (they carry no data)', () => {
    expect(decode('QR==')).toEqual(Buffer.from('A'));
    expect(decode('QUJ=')).toEqual(Buffer.from('AB'));
  });

  it('when valid text is corrupted at random (any byte, stray or URL-safe characters, padding anywhere), then exactly what a per-byte check refuses is refused', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    /** The reference: whole groups, alphabet only, '=' only as the last one or two characters. */
    const valid = (t: Buffer) => {
      const pad = t.length >= 2 && t[t.length - 1] === 0x3d ? (t[t.length - 2] === 0x3d ? 2 : 1) : 0;
      if (t.length % 4 !== 0 || (pad === 2 && t[t.length - 3] === 0x3d)) return false;
      for (let i = 0; i < t.length - pad; i++) if (!ALPHABET.includes(String.fromCharCode(t[i]!))) return false;
      return true;
    };
    let seed = 12345;
    let refused = 0;
    const rnd = (k: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k;
    const special = [0x2d, 0x5f, 0x3d, 0x20, 0x0a, 0x0d, 0x00, 0x80, 0xff, 0x2e];
    for (let it = 0; it < 20000; it++) {
      const text = Buffer.from(randomBytes(3 * (1 + rnd(40)) - rnd(3)).toString('base64'), 'latin1');
      for (let m = rnd(3); m > 0; m--) text[rnd(text.length)] = rnd(2) ? special[rnd(special.length)]! : rnd(256);
      if (rnd(8) === 0) text[text.length - 1] = 0x3d;
      const expected = valid(text);
      let decoded: Buffer | undefined;
      try {
        decoded = decodeInPieces(text.toString('latin1'), rnd(2) ? [] : [rnd(text.length + 1)]);
      } catch (err) {
        expect(err).toBeInstanceOf(MalformedResponseError);
      }
      if ((decoded !== undefined) !== expected)
        throw new Error(`${JSON.stringify(text.toString('latin1'))}: expected ${expected ? 'accepted' : 'refused'}`);
      if (!expected) refused++;
      if (decoded) expect(decoded.equals(Buffer.from(text.toString('latin1'), 'base64'))).toBe(true);
    }
    // Both kinds were exercised.
    expect(refused).toBeGreaterThan(5000);
    expect(refused).toBeLessThan(19000);
  });

  it('when the value is empty, then it decodes to nothing', () => {
    expect(decode('')).toEqual(Buffer.alloc(0));
  });
});
