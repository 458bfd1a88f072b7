import type { Readable } from 'node:stream';
import { FileFieldStream } from './file-field-stream';
import { isJsonSpace, JsonValueCapture, scalarText, type JsonValue } from './json-value-capture';
import { MalformedResponseError } from './malformed-response-error';
import { StrictBase64Decoder } from './strict-base64-decoder';

export type { JsonValue } from './json-value-capture';

/** WeBank's top-level fields. `extra` holds any other top-level field, as sent. */
export interface WebankEnvelope {
  code: string;
  msg?: string;
  bizSeqNo?: string;
  transactionTime?: string;
  extra: Record<string, JsonValue>;
}

export interface WebankStreamResult<T> {
  envelope: WebankEnvelope;
  /** The non-file fields of `result`; empty when the response has none (error codes). */
  result: Record<string, JsonValue>;
  /** What `onFile` resolved to, per file field that carried data. Null or "" fields are absent. */
  files: Record<string, T>;
  /** Dotted paths of values longer than `maxValueBytes`, skipped rather than kept. */
  skipped: string[];
}

export interface WebankStreamOptions<T> {
  /** Fields of `result` holding base64 files (`photo`, `video`, `frontPhoto`, ...). */
  fileFields: readonly string[];
  /**
   * Called as soon as a file field's data starts, with a stream of the decoded bytes. Consume
   * it (e.g. upload it) and resolve; the response is read only as fast as this stream is. If
   * the data turns out malformed the stream errors with MalformedResponseError. A rejection
   * fails the whole parse.
   */
  onFile: (field: string, data: Readable) => Promise<T>;
  /** Largest non-file value kept (default 1 MiB); longer ones are skipped and listed. */
  maxValueBytes?: number;
  /**
   * Caps on what an answer may make us hold (issue 15, item 8), each failing the parse with
   * MalformedResponseError naming the field, never its value: fields per object (default 256),
   * bytes of non-file values kept in all (default 4 MiB), and decoded bytes per file field
   * (default: unlimited).
   */
  maxKeys?: number;
  maxTextBytes?: number;
  maxFileBytes?: (field: string) => number | undefined;
  /** Buffer of each file stream (default 64 KiB). */
  highWaterMark?: number;
}

/**
 * Reads a WeBank query response (`{code, msg, bizSeqNo, transactionTime, result: {...}}`) from
 * a byte stream and hands each base64 file field in `result` to `onFile` as a stream of decoded
 * bytes while the body is still arriving. A 40 MB video thus never exists as response text, as
 * a JS string and as a decoded Buffer at once: memory stays at a few chunks whatever its size.
 *
 * Rejects with MalformedResponseError on malformed or truncated JSON and on any file field that
 * is not strict base64 (see StrictBase64Decoder); inside file strings the JSON escapes `\/`
 * (read as `/`) and `\n`, `\r` (skipped: MIME-style line breaks) are tolerated, any other escape
 * is rejected. On failure every open file stream is destroyed with the error and the promise
 * settles only after every `onFile` call has, so the consumers have cleaned up by then; files a
 * consumer had already completed are not rolled back.
 */
export async function parseWebankStream<T>(
  body: Readable | AsyncIterable<Uint8Array | string>,
  opts: WebankStreamOptions<T>,
): Promise<WebankStreamResult<T>> {
  const scanner = new ResponseScanner(opts);
  const it = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  // Stop reading at once when a consumer fails: destroying a Readable also settles a pending
  // read, which `it.return()` (queued behind it) would not.
  scanner.onFailure = () => {
    if (typeof (body as Readable).destroy === 'function') (body as Readable).destroy();
  };
  let done = false;
  try {
    while (!scanner.failure) {
      const next = await it.next();
      if (scanner.failure) break;
      if (next.done) {
        done = true;
        scanner.finish();
        break;
      }
      const chunk = next.value;
      const wait = scanner.feed(typeof chunk === 'string' ? Buffer.from(chunk) : asBuffer(chunk));
      if (wait) await wait;
    }
  } catch (err) {
    scanner.fail(err as Error);
  }
  await scanner.settled();
  if (scanner.failure) {
    if (!done) await it.return?.().catch(() => undefined);
    throw scanner.failure;
  }
  return scanner.output();
}

const asBuffer = (u: Uint8Array) => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = Buffer.from('/');
const MAX_KEY_BYTES = 1024;

// Where the scanner stands between values.
enum S {
  BeforeRoot,
  KeyOrClose, // after `{`
  Key, // after `,`
  Colon,
  Value,
  AfterValue,
  AfterRoot,
  Capture, // inside a key or a non-file value
  File, // inside a file field's string
}

interface FileConsumer<T> {
  stream: FileFieldStream;
  promise: Promise<T>;
  /** All data pushed and the stream ended. */
  complete: boolean;
}

interface OpenFile<T> {
  field: string;
  /** Decoded bytes so far, against `maxFileBytes`. */
  bytes: number;
  max: number;
  decoder: StrictBase64Decoder;
  escaped: boolean;
  out: Buffer[];
  consumer?: FileConsumer<T>;
}

/** The byte-level state machine behind parseWebankStream. */
class ResponseScanner<T> {
  failure: Error | undefined;
  onFailure: () => void = () => undefined;

  private state = S.BeforeRoot;
  private depth = 0; // 1 = top-level object, 2 = inside `result`
  private key = '';
  private capture: { value: JsonValueCapture; isKey: boolean } | undefined;
  private file: OpenFile<T> | undefined;
  private resultSeen = false;
  private readonly fileFields: Set<string>;
  private readonly limit: number;
  private readonly top: Record<string, JsonValue> = {};
  private readonly result: Record<string, JsonValue> = {};
  private readonly files: Record<string, T> = {};
  private readonly consumers: FileConsumer<T>[] = [];
  private readonly seenFiles = new Set<string>();
  private readonly skipped: string[] = [];
  private readonly maxKeys: number;
  private readonly maxTextBytes: number;
  private textBytes = 0;
  private keys = [0, 0, 0]; // fields seen per depth (1: top level, 2: result)

  constructor(private readonly opts: WebankStreamOptions<T>) {
    this.fileFields = new Set(opts.fileFields);
    this.limit = opts.maxValueBytes ?? 1024 * 1024;
    this.maxKeys = opts.maxKeys ?? 256;
    this.maxTextBytes = opts.maxTextBytes ?? 4 * 1024 * 1024;
  }

  /** Consumes one body chunk; returns a promise when the current file's consumer is behind. */
  feed(chunk: Buffer): Promise<void> | undefined {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === S.File) pos = this.fileBytes(chunk, pos);
      else if (this.state === S.Capture) pos = this.captureBytes(chunk, pos);
      else pos = this.structural(chunk[pos]!, pos);
    }
    return this.flushFile();
  }

  /** The body ended: it must have ended exactly after the top-level object. */
  finish(): void {
    if (this.state !== S.AfterRoot) {
      const where = this.file ? this.file.field : this.depth === 2 ? 'result' : undefined;
      throw new MalformedResponseError('truncated response: body ended inside the JSON', where);
    }
    if (this.top.code === undefined) throw new MalformedResponseError('response has no code');
  }

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const consumer = this.file?.consumer;
    if (consumer && !consumer.complete) consumer.stream.destroy(err);
    for (const c of this.consumers) if (!c.complete) c.stream.destroy(err);
    this.onFailure();
  }

  /** Resolves once every onFile call has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.promise));
  }

  output(): WebankStreamResult<T> {
    const { code, msg, bizSeqNo, transactionTime, ...extra } = this.top;
    const str = (v: JsonValue | undefined) => (v === undefined || v === null ? undefined : scalarText(v));
    return {
      envelope: {
        code: scalarText(code),
        msg: str(msg),
        bizSeqNo: str(bizSeqNo),
        transactionTime: str(transactionTime),
        extra,
      },
      result: this.result,
      files: this.files,
      skipped: this.skipped,
    };
  }

  private structural(b: number, pos: number): number {
    if (isJsonSpace(b)) return pos + 1;
    switch (this.state) {
      case S.BeforeRoot:
        if (b !== 0x7b) throw new MalformedResponseError('malformed JSON: response is not an object');
        this.depth = 1;
        this.state = S.KeyOrClose;
        return pos + 1;
      case S.KeyOrClose:
      case S.Key:
        if (b === 0x7d && this.state === S.KeyOrClose) return this.closeObject(pos);
        if (b !== QUOTE) throw new MalformedResponseError('malformed JSON: expected a key');
        this.capture = { value: new JsonValueCapture(b, MAX_KEY_BYTES), isKey: true };
        this.state = S.Capture;
        return pos + 1;
      case S.Colon:
        if (b !== 0x3a) throw new MalformedResponseError('malformed JSON: expected ":"');
        this.state = S.Value;
        return pos + 1;
      case S.Value:
        return this.startValue(b, pos);
      case S.AfterValue:
        if (b === 0x2c) {
          this.state = S.Key;
          return pos + 1;
        }
        if (b === 0x7d) return this.closeObject(pos);
        throw new MalformedResponseError('malformed JSON: expected "," or "}"');
      default:
        throw new MalformedResponseError('malformed JSON: data after the top-level object');
    }
  }

  private startValue(b: number, pos: number): number {
    if (this.depth === 1 && this.key === 'result' && b === 0x7b) {
      if (this.resultSeen) throw new MalformedResponseError('malformed response: duplicate result');
      this.resultSeen = true;
      this.depth = 2;
      this.state = S.KeyOrClose;
      return pos + 1;
    }
    if (this.depth === 2 && this.fileFields.has(this.key)) {
      if (this.seenFiles.has(this.key)) throw new MalformedResponseError('duplicate file field', this.key);
      this.seenFiles.add(this.key);
      if (b === QUOTE) {
        this.file = {
          field: this.key,
          bytes: 0,
          max: this.opts.maxFileBytes?.(this.key) ?? Infinity,
          decoder: new StrictBase64Decoder(),
          escaped: false,
          out: [],
        };
        this.state = S.File;
        return pos + 1;
      }
      if (b !== 0x6e) throw new MalformedResponseError('file field is neither a string nor null', this.key);
    }
    this.capture = { value: new JsonValueCapture(b, this.limit), isKey: false };
    this.state = S.Capture;
    return pos + 1;
  }

  private closeObject(pos: number): number {
    this.depth -= 1;
    this.state = this.depth === 0 ? S.AfterRoot : S.AfterValue;
    return pos + 1;
  }

  private captureBytes(chunk: Buffer, pos: number): number {
    const capture = this.capture!;
    const end = capture.value.feed(chunk, pos);
    if (end < 0) return chunk.length;
    this.capture = undefined;
    if (capture.isKey) {
      if (capture.value.overflow) throw new MalformedResponseError('malformed JSON: key too long');
      this.key = capture.value.value() as string;
      const where = this.depth === 2 ? 'result' : 'response';
      if (++this.keys[this.depth]! > this.maxKeys)
        throw new MalformedResponseError(`more than ${this.maxKeys} fields in ${where}`, where);
      this.state = S.Colon;
    } else {
      this.assign(capture.value);
      this.state = S.AfterValue;
    }
    return end;
  }

  private assign(capture: JsonValueCapture): void {
    const path = this.depth === 2 ? `result.${this.key}` : this.key;
    let value: JsonValue | undefined;
    try {
      value = capture.value();
    } catch (err) {
      // Name the field the bad value sits in (never the value: it may be a name or an ID number).
      if (err instanceof MalformedResponseError && !err.field) throw new MalformedResponseError(err.message, path);
      throw err;
    }
    if (value === undefined) {
      this.skipped.push(path);
      return;
    }
    this.textBytes += capture.size;
    if (this.textBytes > this.maxTextBytes)
      throw new MalformedResponseError(`non-file values over ${this.maxTextBytes} bytes in all`, path);
    if (this.depth === 1 && this.key === 'result') {
      if (value !== null) throw new MalformedResponseError('malformed response: result is not an object');
      if (this.resultSeen) throw new MalformedResponseError('malformed response: duplicate result');
      this.resultSeen = true;
    } else if (this.depth === 2 && this.fileFields.has(this.key)) {
      if (value !== null) throw new MalformedResponseError('file field is neither a string nor null', this.key);
    } else {
      define(this.depth === 1 ? this.top : this.result, this.key, value);
    }
  }

  /** Inside a file string: decode runs between escapes until the closing quote. */
  private fileBytes(chunk: Buffer, pos: number): number {
    const file = this.file!;
    const n = chunk.length;
    let quote = chunk.indexOf(QUOTE, pos);
    if (quote < 0) quote = n;
    let backslash = -1;
    try {
      while (pos < n) {
        if (file.escaped) {
          file.escaped = false;
          const c = chunk[pos++]!;
          if (c === 0x2f) this.decode(file, SLASH, 0, 1);
          else if (c !== 0x6e && c !== 0x72) {
            throw new MalformedResponseError(`invalid base64: unsupported escape \\${String.fromCharCode(c)}`);
          }
          continue;
        }
        if (backslash < pos) {
          backslash = chunk.indexOf(BACKSLASH, pos);
          if (backslash < 0) backslash = n;
        }
        const stop = Math.min(quote, backslash);
        if (stop > pos) this.decode(file, chunk, pos, stop);
        pos = stop;
        if (pos === n) break;
        if (pos === quote) {
          file.decoder.end();
          this.endFile(file);
          return pos + 1;
        }
        file.escaped = true;
        pos += 1;
      }
    } catch (err) {
      if (err instanceof MalformedResponseError && !err.field)
        throw new MalformedResponseError(err.message, file.field);
      throw err;
    }
    return pos;
  }

  private decode(file: OpenFile<T>, src: Buffer, start: number, end: number): void {
    const bytes = file.decoder.write(src, start, end);
    if (bytes.length === 0) return;
    file.bytes += bytes.length;
    if (file.bytes > file.max)
      throw new MalformedResponseError(`file larger than ${file.max} bytes (at byte ${file.bytes})`, file.field);
    file.out.push(bytes);
  }

  private endFile(file: OpenFile<T>): void {
    // The file's last bytes; its end follows at once, and the next chunk waits for the consumer.
    void this.flushFile();
    if (file.consumer) {
      file.consumer.complete = true;
      if (!file.consumer.stream.destroyed) file.consumer.stream.push(null);
    }
    this.file = undefined;
    this.state = S.AfterValue;
  }

  /** Pushes what the last chunk decoded; returns a promise when the consumer is behind. */
  private flushFile(): Promise<void> | undefined {
    const file = this.file;
    if (!file || file.out.length === 0) return undefined;
    const data = file.out.length === 1 ? file.out[0]! : Buffer.concat(file.out);
    file.out = [];
    const consumer = (file.consumer ??= this.startConsumer(file.field));
    if (consumer.complete || consumer.stream.destroyed) return undefined; // consumer left early: discard
    return consumer.stream.push(data) ? undefined : consumer.stream.writable();
  }

  private startConsumer(field: string): FileConsumer<T> {
    const stream = new FileFieldStream(this.opts.highWaterMark);
    const consumer: FileConsumer<T> = {
      stream,
      complete: false,
      promise: Promise.resolve().then(() => this.opts.onFile(field, stream)),
    };
    consumer.promise.then(
      (value) => {
        define(this.files, field, value);
        // Resolved before all data was pushed: the consumer chose to stop reading.
        if (!consumer.complete) stream.destroy();
      },
      (err: Error) => this.fail(err),
    );
    this.consumers.push(consumer);
    return consumer;
  }
}

/** Assigns without letting a key such as `__proto__` reach the prototype. */
function define<V>(target: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
