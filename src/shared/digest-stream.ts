import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { MediaSniffer, type MediaType } from './media-type';

/**
 * A pass-through that computes SHA-256 and the byte count and sniffs the media type of what
 * flows through it, without copying or holding the data: the store learns all three from the
 * same single read that uploads the object.
 */
export class DigestStream extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly sniffer = new MediaSniffer();
  private digest: string | undefined;
  private resolveType!: (type: MediaType | undefined) => void;
  private rejectType!: (err: Error) => void;

  /**
   * Settles as soon as enough bytes passed to tell the type (or the stream ended shorter), so
   * the caller can name the object before the upload starts reading. Rejects if the stream
   * fails first.
   */
  readonly mediaType: Promise<MediaType | undefined>;

  constructor() {
    super();
    this.mediaType = new Promise((resolve, reject) => {
      this.resolveType = resolve;
      this.rejectType = reject;
    });
    this.mediaType.catch(() => undefined); // observed by whoever awaits it; never unhandled
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (!this.sniffer.done && this.sniffer.push(chunk)) this.resolveType(this.sniffer.type);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    this.resolveType(this.sniffer.type);
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.rejectType(err ?? new Error('stream closed before its type was known'));
    callback(err);
  }

  /** Hex SHA-256 of everything that passed; only once the stream has ended. */
  get sha256(): string {
    if (this.digest === undefined) throw new Error('DigestStream: sha256 read before the end of the stream');
    return this.digest;
  }
}
