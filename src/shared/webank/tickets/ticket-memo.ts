/**
 * Ticket reads kept for a moment per app: the web's callback candidates and the archiver's
 * current ticket are read at most once per `ttlMs`, and concurrent readers share one read.
 * A failed read is never kept, nor a value `keep` refuses (say, an empty list).
 */
export class TicketMemo<V> {
  private readonly entries = new Map<string, { readAt: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly keep: (value: V) => boolean = () => true,
  ) {}

  /** The value read less than `ttlMs` ago, else a new read; `fresh` always reads. */
  get(key: string, read: () => Promise<V>, fresh = false): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (!fresh && hit && now - hit.readAt < this.ttlMs) return hit.value;
    const entry = { readAt: now, value: read() };
    this.entries.set(key, entry);
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    entry.value.then((v) => this.keep(v) || forget(), forget);
    return entry.value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
