import { PartBuffers } from '../../src/shared/evidence/part-buffers';

const SIZE = 1024;

describe('PartBuffers', () => {
  test('when a buffer is given back, then the next take of that size reuses it', () => {
    const parts = new PartBuffers();
    const a = parts.take(SIZE);
    parts.give(a, SIZE);
    expect(parts.take(SIZE)).toBe(a);
  });

  test('when more buffers come back than were ever in use at once, then only the peak are kept', () => {
    const parts = new PartBuffers();
    const a = parts.take(SIZE);
    parts.give(a, SIZE);
    const b = parts.take(SIZE); // a again: the peak in use is 1
    const extra = Buffer.alloc(SIZE);
    parts.give(b, SIZE);
    parts.give(extra, SIZE); // beyond the peak: not kept
    expect(parts.take(SIZE)).toBe(a);
    expect(parts.take(SIZE)).not.toBe(extra);
  });

  test('when the peak exceeds the cap, then at most cap idle buffers are kept', () => {
    const parts = new PartBuffers(2);
    const out = [parts.take(SIZE), parts.take(SIZE), parts.take(SIZE)];
    for (const b of out) parts.give(b, SIZE);
    const again = [parts.take(SIZE), parts.take(SIZE), parts.take(SIZE)];
    expect(again.filter((b) => out.includes(b))).toHaveLength(2);
  });

  test('when a buffer is dropped, then it is never handed out again', () => {
    const parts = new PartBuffers();
    const a = parts.take(SIZE);
    parts.drop();
    expect(parts.take(SIZE)).not.toBe(a);
  });

  test('when a buffer of another size is idle, then a take of this size allocates a fresh one', () => {
    const parts = new PartBuffers();
    const small = parts.take(SIZE);
    parts.give(small, SIZE);
    const big = parts.take(2 * SIZE);
    expect(big).not.toBe(small);
    expect(big.length).toBe(2 * SIZE);
  });
});
