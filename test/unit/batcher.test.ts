import { Batcher, ItemFailed } from '../../src/shared/platform/batcher';

/** A run function that records the batches it saw and answers each item doubled, after a delay. */
function recording(delayMs = 5) {
  const batches: number[][] = [];
  const run = async (items: number[]) => {
    batches.push([...items]);
    await new Promise((r) => setTimeout(r, delayMs));
    return items.map((i) => i * 2);
  };
  return { batches, run };
}

describe('Batcher (group commit)', () => {
  test('when one item arrives alone, then it is sent at once in a batch of one', async () => {
    const { batches, run } = recording();
    const b = new Batcher(run, { maxBatch: 10, maxConcurrent: 1 });
    expect(await b.submit(21)).toBe(42);
    expect(batches).toEqual([[21]]);
  });

  test('when items arrive while a batch is in flight, then they travel together in the next one, each with its own answer', async () => {
    const { batches, run } = recording(20);
    const b = new Batcher(run, { maxBatch: 100, maxConcurrent: 1 });
    const first = b.submit(1);
    await new Promise((r) => setTimeout(r, 5)); // the first batch is now in flight
    const rest = [2, 3, 4, 5].map((i) => b.submit(i));
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  test('when more items wait than maxBatch, then batches are cut at maxBatch and at most maxConcurrent fly at once', async () => {
    let flying = 0;
    let most = 0;
    const sizes: number[] = [];
    const b = new Batcher(
      async (items: number[]) => {
        flying++;
        most = Math.max(most, flying);
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 5));
        flying--;
        return items;
      },
      { maxBatch: 3, maxConcurrent: 2 },
    );
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, s) => a + s, 0)).toBe(10);
    expect(most).toBe(2);
  });

  test('when the run throws, then every item of that batch is rejected and later batches still run', async () => {
    let fail = true;
    const b = new Batcher(
      async (items: number[]) => {
        if (fail) throw new Error('database down');
        return items;
      },
      { maxBatch: 10, maxConcurrent: 1 },
    );
    const results = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('database down');
    fail = false;
    expect(await b.submit(3)).toBe(3);
  });

  test('when the run marks one item failed, then only that item is rejected', async () => {
    const b = new Batcher(
      async (items: number[]) => items.map((i) => (i === 2 ? new ItemFailed(new Error('bad row')) : i)),
      { maxBatch: 10, maxConcurrent: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => b.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  test('when the run answers the wrong number of results, then the batch is rejected rather than mismatched', async () => {
    const b = new Batcher(async (items: number[]) => items.slice(1), { maxBatch: 10, maxConcurrent: 1 });
    await expect(Promise.all([b.submit(1), b.submit(2)])).rejects.toThrow(/1 results for 2 items/);
  });

  test('when drained, then it resolves only after everything submitted has been answered', async () => {
    const { run } = recording(15);
    const b = new Batcher(run, { maxBatch: 2, maxConcurrent: 1 });
    const answered: number[] = [];
    for (const i of [1, 2, 3, 4, 5]) void b.submit(i).then((v) => answered.push(v));
    await b.drain();
    expect(answered.sort((x, y) => x - y)).toEqual([2, 4, 6, 8, 10]);
    expect(b.pending).toBe(0);
    await b.drain(); // idle: resolves at once
  });
});
