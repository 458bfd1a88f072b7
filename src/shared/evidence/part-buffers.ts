/**
 * Part buffers kept for reuse: a part is filled in place (one copy of each decoded byte) and,
 * once sent, its buffer serves the next part or upload instead of becoming garbage (a fresh
 * 5 MiB buffer costs ~1.3 ms of page faults as it is first written). As many idle buffers are
 * kept as were ever in use at once (up to `cap`), so memory stays at the peak the worker's
 * concurrency needed, not more.
 */
export class PartBuffers {
  private readonly idle: Buffer[] = [];
  private out = 0;
  private peak = 0;

  constructor(private readonly cap = 16) {}

  take(size: number): Buffer {
    this.out += 1;
    this.peak = Math.max(this.peak, this.out);
    while (this.idle.length > 0) {
      const b = this.idle.pop()!;
      if (b.length === size) return b;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** A buffer back, no longer referenced by anyone. */
  give(buffer: Buffer, size: number): void {
    this.out = Math.max(0, this.out - 1);
    if (buffer.length === size && this.idle.length < Math.min(this.peak, this.cap)) this.idle.push(buffer);
  }

  /** A buffer abandoned (a failed upload may still hold it): counted out, never reused. */
  drop(): void {
    this.out = Math.max(0, this.out - 1);
  }
}
