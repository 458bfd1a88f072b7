/**
 * Group commit: callers submit one item each and await its own result, while the items that
 * arrive together travel in one round trip (one SQL statement, one Redis pipeline). Nothing
 * waits for a timer: a batch leaves as soon as a slot is free, so one lone request pays only a
 * `setImmediate`, and under load the batches grow by themselves while earlier ones are in flight.
 *
 * Purely a per-process optimisation: each caller still gets its answer only after its own item
 * is durable, so two replicas batching side by side change nothing about correctness.
 */
export interface BatcherOptions {
  /** Largest batch sent at once. */
  maxBatch: number;
  /** Batches in flight at the same time (each holds one connection). */
  maxConcurrent: number;
}

/** A result `run` gives for one item that failed on its own, without failing the batch. */
export class ItemFailed {
  constructor(readonly error: unknown) {}
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  /** `run` answers one result (or ItemFailed) per item, in the items' order; throwing fails them all. */
  constructor(
    private readonly run: (items: I[]) => Promise<(O | ItemFailed)[]>,
    private readonly opts: BatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Resolves once everything submitted so far has been answered. */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxConcurrent) return;
    this.scheduled = true;
    // Let the other requests that arrived in the same turn of the event loop join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.opts.maxConcurrent) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
        else if (this.inFlight === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private async send(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((p) => p.item));
      if (results.length !== batch.length)
        throw new Error(`batch answered ${results.length} results for ${batch.length} items`);
      batch.forEach((p, i) => {
        const r = results[i]!;
        if (r instanceof ItemFailed) p.reject(r.error);
        else p.resolve(r);
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
