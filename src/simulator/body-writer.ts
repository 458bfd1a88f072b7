import type { ServerResponse } from 'node:http';
import type { MediaSource } from './media';

/**
 * Writes a WeBank JSON answer whose file fields are base64-encoded while streaming, so a 50 MB
 * video never exists as one string: the envelope goes out in pieces, the media in chunks aligned
 * to 3 bytes. Its length is known up front (Content-Length), which lets faults cut it exactly.
 */

export type Piece = string | { field: string; source: MediaSource };

const MARK = '\u0000media:';

/** A placeholder to put in a JSON value; `plan` swaps it for the field's streamed base64. */
export function mediaPlaceholder(field: string): string {
  return `${MARK}${field}\u0000`;
}

/** Splits `JSON.stringify(body)` at the media placeholders. */
export function plan(body: unknown, media: Record<string, MediaSource>): Piece[] {
  const json = JSON.stringify(body);
  const pieces: Piece[] = [];
  const re = /"\\u0000media:([A-Za-z]+)\\u0000"/g;
  let last = 0;
  for (let m = re.exec(json); m; m = re.exec(json)) {
    const field = m[1] as string;
    const source = media[field];
    if (!source) continue;
    pieces.push(`${json.slice(last, m.index)}"`, { field, source });
    last = m.index + m[0].length - 1;
  }
  pieces.push(json.slice(last));
  return pieces;
}

const b64Length = (n: number) => 4 * Math.ceil(n / 3);

function pieceLength(p: Piece): number {
  return typeof p === 'string' ? Buffer.byteLength(p) : b64Length(p.source.length);
}

export function planLength(pieces: readonly Piece[]): number {
  return pieces.reduce((n, p) => n + pieceLength(p), 0);
}

/** Where to cut a truncated answer: inside the video base64 if there is one, else mid-media, else mid-body. */
export function cutPoint(pieces: readonly Piece[]): number {
  let offset = 0;
  let mid: number | undefined;
  for (const p of pieces) {
    const len = pieceLength(p);
    if (typeof p !== 'string') {
      if (p.field === 'video' && len > 0) return offset + Math.floor(len / 2);
      mid ??= len > 0 ? offset + Math.floor(len / 2) : undefined;
    }
    offset += len;
  }
  return mid ?? Math.floor(offset / 2);
}

/** Encodes a source's chunks to base64 text chunks, staging bytes so every chunk but the last is a multiple of 3. */
export function* base64Chunks(source: MediaSource): Iterable<string> {
  const stage = Buffer.allocUnsafe(3 * 16384);
  let filled = 0;
  for (const chunk of source.chunks()) {
    let at = 0;
    while (at < chunk.length) {
      const n = chunk.copy(stage, filled, at);
      filled += n;
      at += n;
      if (filled === stage.length) {
        yield stage.toString('base64');
        filled = 0;
      }
    }
  }
  if (filled) yield stage.toString('base64', 0, filled);
}

/** Puts characters outside the base64 alphabet into the first chunk, keeping the length. */
function corrupt(text: string): string {
  if (text.length < 12) return text.length >= 3 ? `*!$${text.slice(3)}` : text;
  return `${text.slice(0, 8)}*!$${text.slice(11)}`;
}

export interface WriteOptions {
  /** Stop writing after this many bytes and end the response cleanly. */
  stopAt?: number;
  /** Destroy the socket after this many bytes. */
  resetAt?: number;
  corruptBase64?: boolean;
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Streams the pieces with backpressure; the caller has set status and Content-Length. */
export async function writePlan(res: ServerResponse, pieces: readonly Piece[], opts: WriteOptions = {}): Promise<void> {
  const limit = Math.min(opts.stopAt ?? Infinity, opts.resetAt ?? Infinity);
  let written = 0;
  /** Writes text (base64 is ASCII, so it is written as a string without a copy of its own). */
  const emit = async (text: string, ascii = false): Promise<boolean> => {
    if (res.destroyed) return false;
    let out: string | Buffer = ascii ? text : Buffer.from(text, 'utf8');
    if (written + out.length > limit)
      out = typeof out === 'string' ? out.slice(0, limit - written) : out.subarray(0, limit - written);
    written += out.length;
    if (out.length && !res.write(out, 'latin1')) await waitDrain(res);
    return written < limit && !res.destroyed;
  };
  outer: for (const p of pieces) {
    if (typeof p === 'string') {
      if (!(await emit(p))) break;
      continue;
    }
    let first = true;
    for (const chunk of base64Chunks(p.source)) {
      if (!(await emit(first && opts.corruptBase64 ? corrupt(chunk) : chunk, true))) break outer;
      first = false;
    }
  }
  if (res.destroyed) return;
  if (opts.resetAt !== undefined && written >= opts.resetAt) {
    res.socket?.destroy();
    return;
  }
  res.end();
}
