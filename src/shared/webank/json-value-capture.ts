import { MalformedResponseError } from './malformed-response-error';

/** A JSON scalar as text (objects and arrays as JSON), for fields that should be scalars but may not be. */
export function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** WeBank results are flat; deep nesting can only be garbage or an attack on the bracket stack. */
const MAX_DEPTH = 64;

/** JSON whitespace: space, tab, line feed, carriage return. */
export const isJsonSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

const LITERAL_START = new Set([...'-0123456789tfn'].map((c) => c.charCodeAt(0)));

/**
 * Collects the bytes of one small JSON value (a key, a scalar, or a nested object/array) as it
 * arrives in pieces, finds where it ends, and parses it with JSON.parse — which also validates
 * it, escapes and numbers included. Only file fields are streamed; everything else in a WeBank
 * response is a few bytes, so this keeps the scanner small without a full tokenizer.
 *
 * Past `limit` bytes the value is still scanned to its end but no longer kept (`overflow`), so
 * an unexpected huge field costs no memory; its inner syntax is then checked only for brackets.
 */
export class JsonValueCapture {
  private readonly pieces: Buffer[] = [];
  private length = 0;
  private inString = false;
  private escaped = false;
  private readonly stack: number[] = [];
  private readonly kind: 'string' | 'literal' | 'container';
  overflow = false;

  /** Bytes kept (0 once it overflowed). */
  get size(): number {
    return this.overflow ? 0 : this.length;
  }

  /** Starts at the value's first byte, `first` (already consumed by the caller). */
  constructor(
    first: number,
    private readonly limit: number,
  ) {
    if (first === QUOTE) {
      this.kind = 'string';
      this.inString = true;
    } else if (first === 0x7b || first === 0x5b) {
      this.kind = 'container';
      this.stack.push(first);
    } else if (LITERAL_START.has(first)) {
      this.kind = 'literal';
    } else {
      throw new MalformedResponseError(`malformed JSON: unexpected character 0x${first.toString(16)}`);
    }
    this.keep(Buffer.from([first]));
  }

  /**
   * Consumes `chunk` from `pos`; returns the position just past the value when it ended in this
   * chunk (for literals: the position of the delimiter, which is not part of it), or -1.
   */
  feed(chunk: Buffer, pos: number): number {
    const end = this.scan(chunk, pos);
    this.keep(chunk.subarray(pos, end < 0 ? chunk.length : end));
    return end;
  }

  /** The parsed value; undefined when it overflowed. Throws MalformedResponseError on bad JSON. */
  value(): JsonValue | undefined {
    if (this.overflow) return undefined;
    const text = Buffer.concat(this.pieces, this.length).toString('utf8');
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // Never the text itself: a result value may be a name or an ID number.
      throw new MalformedResponseError(`malformed JSON value (${this.length} bytes)`);
    }
  }

  private scan(chunk: Buffer, pos: number): number {
    for (let i = pos; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.kind === 'string') return i + 1;
        }
      } else if (this.kind === 'literal') {
        if (isJsonSpace(b) || b === 0x2c || b === 0x7d || b === 0x5d) return i;
      } else if (b === QUOTE) {
        this.inString = true;
      } else if (b === 0x7b || b === 0x5b) {
        if (this.stack.push(b) > MAX_DEPTH) throw new MalformedResponseError('malformed JSON: nested too deeply');
      } else if (b === 0x7d || b === 0x5d) {
        const open = this.stack.pop();
        if (open !== b - 2) throw new MalformedResponseError('malformed JSON: mismatched brackets');
        if (this.stack.length === 0) return i + 1;
      }
    }
    return -1;
  }

  private keep(bytes: Buffer): void {
    if (this.overflow || bytes.length === 0) return;
    this.length += bytes.length;
    if (this.length > this.limit) {
      this.overflow = true;
      this.pieces.length = 0;
      return;
    }
    this.pieces.push(Buffer.from(bytes)); // a copy: do not pin the whole body chunk
  }
}
