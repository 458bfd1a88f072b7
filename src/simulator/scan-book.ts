import { DEFAULT_FAIL_CODE, RESULT_RETENTION_MS } from './codes';
import { digits, hexId } from './format';
import { bufferSource, fixture, type MediaSource, paddedJpeg, paddedPng, videoSource } from './media';
import type { ScanInput, ScanRecord, SimProduct } from './types';

const PRODUCTS: readonly SimProduct[] = ['faceid', 'liveness', 'ocr'];
export const OCR_FIELDS = ['frontPhoto', 'backPhoto', 'frontCrop', 'backCrop', 'headPhoto'] as const;
export const FACE_FIELDS = ['photo', 'video'] as const;

/** A fake but well-formed mainland ID number (valid check digit), so validators downstream accept it. */
export function fakeIdNo(): string {
  const body = `110105${1970 + Math.floor(Math.random() * 30)}0${1 + Math.floor(Math.random() * 9)}1${Math.floor(Math.random() * 9)}${digits(3)}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * (weights[i] ?? 0), 0);
  return body + '10X98765432'[sum % 11];
}

/** The scans the simulator knows, keyed by app and order, with the media each one serves. */
export class ScanBook {
  private readonly scans = new Map<string, ScanRecord>();
  private readonly photos = new Map<string, Buffer>();

  constructor(
    private readonly knowsApp: (appId: string) => boolean,
    private readonly defaultFileDelayMs: number,
    private readonly now: () => number = Date.now,
    /** Rolls whether an OCR scan's crops come back empty (when the scan does not say). */
    private readonly rollEmptyCrops: () => boolean = () => false,
  ) {}

  create(input: ScanInput): ScanRecord {
    if (!input || typeof input.appId !== 'string' || !this.knowsApp(input.appId)) {
      throw new Error(`unknown appId ${String(input?.appId)}`);
    }
    if (typeof input.orderNo !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(input.orderNo)) {
      throw new Error('orderNo must be 1-64 letters, digits, _ or -');
    }
    if (input.h5faceId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(String(input.h5faceId)))
      throw new Error('h5faceId must be 1-64 letters, digits, _ or -');
    const product = input.product ?? 'faceid';
    if (!PRODUCTS.includes(product)) throw new Error(`unknown product ${String(product)}`);
    const outcome = input.outcome ?? 'pass';
    if (!['pass', 'fail', 'abandon', 'risk'].includes(outcome)) throw new Error(`unknown outcome ${String(outcome)}`);
    for (const k of ['photoBytes', 'videoBytes', 'fileDelayMs'] as const) {
      const v = input[k];
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new Error(`${k} must be a non-negative number`);
    }
    const finishedAt = input.finishedAt ? new Date(input.finishedAt) : new Date(this.now());
    if (Number.isNaN(finishedAt.getTime())) throw new Error('finishedAt is not a date');
    const fileDelayMs = input.fileDelayMs ?? this.defaultFileDelayMs;
    const code = outcome === 'pass' ? '0' : (input.code ?? (outcome === 'fail' ? DEFAULT_FAIL_CODE : '66660011'));
    const scan: ScanRecord = {
      appId: input.appId,
      orderNo: input.orderNo,
      h5faceId: input.h5faceId ?? hexId('wb', 15),
      code,
      bizSeqNo: digits(32),
      finishedAt,
      product,
      outcome,
      photoType: input.photoType === 'png' ? 'png' : 'jpg',
      ...(input.photoBytes !== undefined && { photoBytes: Math.round(input.photoBytes) }),
      ...(input.videoBytes !== undefined && { videoBytes: Math.round(input.videoBytes) }),
      fileDelayMs,
      filesReadyAt: new Date(finishedAt.getTime() + fileDelayMs),
      idNo: input.idNo ?? fakeIdNo(),
      name: input.name ?? '张三',
      liveRate: outcome === 'pass' ? '99' : '62',
      similarity: outcome === 'pass' ? '97.50' : '45.20',
      ocr: { front: input.ocr?.front ?? true, back: input.ocr?.back ?? true },
      emptyCrops: product === 'ocr' && (input.emptyCrops ?? this.rollEmptyCrops()),
      withoutFiles: (input.withoutFiles ?? []).filter((f) => f === 'photo' || f === 'video'),
    };
    const key = this.key(scan.appId, scan.orderNo);
    this.scans.set(key, scan);
    this.photos.delete(key);
    return { ...scan };
  }

  get(appId: string, orderNo: string): ScanRecord | undefined {
    const scan = this.scans.get(this.key(appId, orderNo));
    return scan && { ...scan };
  }

  /** Whether WeBank would still answer with a result for this scan now. */
  hasResult(scan: ScanRecord): boolean {
    if (scan.outcome === 'abandon' || scan.outcome === 'risk') return false;
    const age = this.now() - scan.finishedAt.getTime();
    return age >= 0 && age <= RESULT_RETENTION_MS;
  }

  filesReady(scan: ScanRecord): boolean {
    return this.now() >= scan.filesReadyAt.getTime();
  }

  /** Every file field the scan's product carries, with the bytes it serves (undefined: none). */
  media(appId: string, orderNo: string): Record<string, MediaSource | undefined> {
    const scan = this.scans.get(this.key(appId, orderNo));
    if (!scan) throw new Error(`unknown scan ${appId}/${orderNo}`);
    const photo = bufferSource(this.photo(scan));
    if (scan.product !== 'ocr') {
      const video = scan.videoBytes !== undefined ? videoSource(scan.videoBytes) : bufferSource(fixture('face.mp4'));
      const without = new Set(scan.withoutFiles);
      return { photo: without.has('photo') ? undefined : photo, video: without.has('video') ? undefined : video };
    }
    const { front, back } = scan.ocr;
    const crops = !scan.emptyCrops;
    return {
      frontPhoto: front ? photo : undefined,
      backPhoto: back ? photo : undefined,
      frontCrop: front && crops ? photo : undefined,
      backCrop: back && crops ? photo : undefined,
      headPhoto: front ? photo : undefined,
    };
  }

  private photo(scan: ScanRecord): Buffer {
    const key = this.key(scan.appId, scan.orderNo);
    let photo = this.photos.get(key);
    if (!photo) {
      const png = scan.photoType === 'png';
      if (scan.photoBytes === undefined) photo = fixture(png ? 'face.png' : 'face.jpg');
      else photo = png ? paddedPng(scan.photoBytes) : paddedJpeg(scan.photoBytes);
      this.photos.set(key, photo);
    }
    return photo;
  }

  private key(appId: string, orderNo: string): string {
    return `${appId}\u0000${orderNo}`;
  }
}
