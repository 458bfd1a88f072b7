import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { PartBuffers } from './part-buffers';

/** Objects up to this size are kept as the chunks that came and sent without a part buffer. */
const SMALL_OBJECT = 256 * 1024;

/**
 * The source of a `put`, read chunk by chunk: each chunk is hashed (SHA-256) and counted as it
 * passes, so the hash of the whole object is known the moment the source ends, with no second
 * pass over the bytes.
 */
export class HashingReader {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly chunks: AsyncIterator<Buffer | Uint8Array>;

  constructor(source: Readable) {
    this.chunks = (source as AsyncIterable<Buffer | Uint8Array>)[Symbol.asyncIterator]();
  }

  /** The next chunk, hashed and counted; undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    const r = await this.chunks.next();
    if (r.done) return undefined;
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    return chunk;
  }

  /** Lower-case hex SHA-256 of everything read; once, after the last chunk. */
  digest(): string {
    return this.hash.digest('hex');
  }

  /** The rest of the source, hashed and counted as it is consumed. */
  async *rest(): AsyncGenerator<Buffer> {
    for (let chunk = await this.next(); chunk; chunk = await this.next()) yield chunk;
  }
}

/** The start of the object: all of it when `overflow` is undefined. */
export interface FirstPart {
  /** The bytes read, up to one part. */
  head: Buffer;
  /** The part buffer `head` lies in; undefined for a small object kept as its chunks. */
  part: Buffer | undefined;
  /** What came past the first part in the chunk that filled it; undefined when the source ended. */
  overflow: Buffer | undefined;
}

/**
 * Reads the source up to one part. The first SMALL_OBJECT bytes are kept as the chunks that came
 * (a photo never needs a part buffer); past that they move into a part buffer from `parts`,
 * filled in place. On failure a buffer taken is dropped; on success the caller owns `part`.
 */
export async function readFirstPart(reader: HashingReader, partSize: number, parts: PartBuffers): Promise<FirstPart> {
  const smallLimit = Math.min(SMALL_OBJECT, partSize);
  const small: Buffer[] = [];
  let part: Buffer | undefined;
  let filled = 0;
  try {
    for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
      if (!part && filled + chunk.length <= smallLimit) {
        small.push(chunk);
        filled += chunk.length;
        continue;
      }
      if (!part) {
        part = parts.take(partSize);
        let at = 0;
        for (const c of small) at += c.copy(part, at);
        small.length = 0;
      }
      const n = chunk.copy(part, filled);
      filled += n;
      if (n < chunk.length) return { head: part.subarray(0, filled), part, overflow: chunk.subarray(n) };
    }
  } catch (err) {
    if (part) parts.drop();
    throw err;
  }
  const head = part ? part.subarray(0, filled) : small.length === 1 ? small[0]! : Buffer.concat(small, filled);
  return { head, part, overflow: undefined };
}
