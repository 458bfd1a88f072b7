import { Readable } from 'node:stream';

/**
 * The decoded bytes of one file field, handed to the consumer while the response is still
 * being read. The producer pushes, then waits on `writable()` when the consumer is behind, so
 * at most about one body chunk beyond highWaterMark is ever buffered here.
 */
export class FileFieldStream extends Readable {
  private wake: (() => void) | undefined;

  constructor(highWaterMark = 64 * 1024) {
    super({ highWaterMark });
  }

  override _read(): void {
    this.release();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    callback(err);
  }

  /** Resolves when the consumer asks for more (or the stream is destroyed). */
  writable(): Promise<void> {
    if (this.destroyed || this.readableLength < this.readableHighWaterMark) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  private release(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
