/**
 * The media types evidence can have, told by magic bytes rather than by what WeBank or a
 * caller claims: a "photo" that is really a PNG, or a video field holding an error page,
 * must be stored and labelled as what it is.
 */
export interface MediaType {
  mime: 'image/jpeg' | 'image/png' | 'video/mp4';
  /** File extension without the dot, used in object keys. */
  ext: 'jpg' | 'png' | 'mp4';
}

export const JPEG: MediaType = Object.freeze({ mime: 'image/jpeg', ext: 'jpg' });
export const PNG: MediaType = Object.freeze({ mime: 'image/png', ext: 'png' });
export const MP4: MediaType = Object.freeze({ mime: 'video/mp4', ext: 'mp4' });

/** Bytes needed to tell every supported type apart (MP4 needs `ftyp` at offsets 4..7). */
export const SNIFF_BYTES = 12;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const FTYP = [0x66, 0x74, 0x79, 0x70];

function startsWith(head: Uint8Array, sig: readonly number[], offset = 0): boolean {
  if (head.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (head[offset + i] !== sig[i]) return false;
  return true;
}

/**
 * Detects the type from the first bytes of a file (pass at least SNIFF_BYTES when the file is
 * that long); undefined when unknown or when too few bytes were given to tell.
 */
export function detectMediaType(head: Uint8Array): MediaType | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return JPEG;
  if (startsWith(head, PNG_SIGNATURE)) return PNG;
  if (startsWith(head, FTYP, 4)) return MP4;
  return undefined;
}

/** The known media type for a MIME string (e.g. an `expectedType`), or undefined. */
export function mediaTypeByMime(mime: string): MediaType | undefined {
  return [JPEG, PNG, MP4].find((t) => t.mime === mime.toLowerCase());
}

/**
 * Collects the head of a stream chunk by chunk until SNIFF_BYTES are known, so a caller can
 * detect the type while the bytes flow past without buffering the stream.
 */
export class MediaSniffer {
  private head = Buffer.alloc(0);

  /** Feeds a chunk; returns true once enough bytes were seen (later chunks are ignored). */
  push(chunk: Uint8Array): boolean {
    if (this.done) return true;
    const need = SNIFF_BYTES - this.head.length;
    this.head = Buffer.concat([this.head, chunk.subarray(0, need)]);
    return this.done;
  }

  get done(): boolean {
    return this.head.length >= SNIFF_BYTES;
  }

  /** The type detected from what was seen so far (final once `done` or the stream ended). */
  get type(): MediaType | undefined {
    return detectMediaType(this.head);
  }
}
