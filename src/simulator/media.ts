import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * Media the simulator serves: the committed fixtures (a JPEG, a PNG, an H.264 MP4 a player opens,
 * made by media/make-fixtures.sh), padded copies of a requested size that stay valid files, and a
 * streamed source for huge videos that is never held in memory.
 */

/** A byte source with a known length that can be replayed; chunks are produced on demand. */
export interface MediaSource {
  length: number;
  chunks(): Iterable<Buffer>;
}

const MEDIA_DIRS = [path.join(__dirname, 'media'), path.resolve(__dirname, '../../../src/simulator/media')];
const cache = new Map<string, Buffer>();

export function fixture(name: 'face.jpg' | 'face.png' | 'face.mp4'): Buffer {
  let data = cache.get(name);
  if (!data) {
    const dir = MEDIA_DIRS.find((d) => existsSync(path.join(d, name)));
    if (!dir) throw new Error(`simulator media fixture ${name} not found`);
    data = readFileSync(path.join(dir, name));
    cache.set(name, data);
  }
  return data;
}

/** 64 KiB of deterministic noise, repeated as filler so padding does not compress to nothing. */
const NOISE = (() => {
  const out = Buffer.alloc(64 * 1024);
  let x = 0x9e3779b9;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
})();

function* filler(length: number): Iterable<Buffer> {
  for (let left = length; left > 0; left -= NOISE.length) yield left >= NOISE.length ? NOISE : NOISE.subarray(0, left);
}

function fillerBuffer(length: number): Buffer {
  return Buffer.concat([...filler(length)], length);
}

/** A JPEG of about `size` bytes: the fixture with COM segments of filler after SOI (decoders skip them). */
export function paddedJpeg(size: number): Buffer {
  const base = fixture('face.jpg');
  const parts: Buffer[] = [base.subarray(0, 2)];
  let need = size - base.length;
  while (need >= 4) {
    const payload = Math.min(need - 4, 65533);
    const head = Buffer.from([0xff, 0xfe, 0, 0]);
    head.writeUInt16BE(payload + 2, 2);
    parts.push(head, fillerBuffer(payload));
    need -= payload + 4;
  }
  parts.push(base.subarray(2));
  return Buffer.concat(parts);
}

/** A PNG of about `size` bytes: the fixture with a private ancillary `fiLl` chunk before IEND. */
export function paddedPng(size: number): Buffer {
  const base = fixture('face.png');
  const need = size - base.length - 12;
  if (need < 0) return base;
  const type = Buffer.from('fiLl', 'ascii');
  const data = fillerBuffer(need);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(need);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(type)) >>> 0);
  const iend = base.length - 12;
  return Buffer.concat([base.subarray(0, iend), len, type, data, crc, base.subarray(iend)]);
}

export function bufferSource(data: Buffer): MediaSource {
  return { length: data.length, chunks: () => [data] };
}

function boxHeader(type: string, size: number): Buffer {
  if (size <= 0xffffffff) {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(size);
    h.write(type, 4, 'ascii');
    return h;
  }
  const h = Buffer.alloc(16);
  h.writeUInt32BE(1);
  h.write(type, 4, 'ascii');
  h.writeBigUInt64BE(BigInt(size), 8);
  return h;
}

/**
 * An MP4 of exactly `size` bytes, streamed: the playable fixture followed by a top-level `free`
 * box of filler, which players skip. Below the fixture's size it is the `ftyp` box plus filler.
 */
export function videoSource(size: number): MediaSource {
  const base = fixture('face.mp4');
  const ftypLength = base.readUInt32BE(0);
  const head = size >= base.length + 8 ? base : base.subarray(0, ftypLength);
  const length = Math.max(size, head.length + 8);
  const boxSize = length - head.length;
  const header = boxHeader('free', boxSize);
  return {
    length,
    *chunks() {
      yield head;
      yield header;
      yield* filler(boxSize - header.length);
    },
  };
}

export function collect(source: MediaSource): Buffer {
  return Buffer.concat([...source.chunks()], source.length);
}
