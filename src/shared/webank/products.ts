import type { FILE_KINDS, Product, QueryApi } from '../platform/config';

/** What an evidence file is, as stored (`evidence.kind`). */
export type FileKind = (typeof FILE_KINDS)[number];

/** A base64 file field in a query answer and the evidence kind it becomes. */
export interface FileField {
  field: string;
  kind: FileKind;
}

export interface ProductSpec {
  product: Product;
  /** The server query that returns the result (and, with get_file, its files). */
  queryPath: string;
  fileFields: readonly FileField[];
  /** The `get_file` value asking for exactly these kinds (or a superset); undefined asks for none. */
  getFileFor(missing: ReadonlySet<FileKind>): string | undefined;
}

/**
 * faceid (sync) and liveness (getLiveResult) serve the best frame and the video:
 * get_file 1 = both, 2 = photo only, 3 = video only. Asking only for what is missing keeps a
 * retry from downloading a 70 MB video again just because the photo failed.
 */
function photoVideoGetFile(missing: ReadonlySet<FileKind>): string | undefined {
  const photo = missing.has('photo');
  const video = missing.has('video');
  if (photo && video) return '1';
  if (photo) return '2';
  if (video) return '3';
  return undefined;
}

const PHOTO_VIDEO: readonly FileField[] = [
  { field: 'photo', kind: 'photo' },
  { field: 'video', kind: 'video' },
];

const OCR_FILES: readonly FileField[] = [
  { field: 'frontPhoto', kind: 'front_photo' },
  { field: 'backPhoto', kind: 'back_photo' },
  { field: 'frontCrop', kind: 'front_crop' },
  { field: 'backCrop', kind: 'back_crop' },
  { field: 'headPhoto', kind: 'head_photo' },
];

export const PRODUCT_SPECS: Readonly<Record<Product, ProductSpec>> = Object.freeze({
  faceid: { product: 'faceid', queryPath: '/api/server/sync', fileFields: PHOTO_VIDEO, getFileFor: photoVideoGetFile },
  liveness: {
    product: 'liveness',
    queryPath: '/api/server/getLiveResult',
    fileFields: PHOTO_VIDEO,
    getFileFor: photoVideoGetFile,
  },
  // OCR has only all-or-nothing: get_file=1 returns every image, anything else none.
  ocr: {
    product: 'ocr',
    queryPath: '/api/server/getOcrResult',
    fileFields: OCR_FILES,
    getFileFor: (missing) => (OCR_FILES.some((f) => missing.has(f.kind)) ? '1' : undefined),
  },
});

export function productSpec(product: Product): ProductSpec {
  return PRODUCT_SPECS[product];
}

/** `queryfacerecord` (1007/114181): POST with a JSON body, face products; get_file as sync's. */
export const QUERYFACERECORD_PATH = '/api/v2/base/queryfacerecord';

/** The path an app's result query goes to: its product's own query, or queryfacerecord. */
export function queryPathOf(product: Product, queryApi: QueryApi = 'sync'): string {
  return queryApi === 'queryfacerecord' ? QUERYFACERECORD_PATH : PRODUCT_SPECS[product].queryPath;
}

/** The `get_file` value for the kinds still missing; undefined when none are (query the result only). */
export function getFileFor(product: Product, missing: Iterable<FileKind>): string | undefined {
  return PRODUCT_SPECS[product].getFileFor(new Set(missing));
}

/** The file kinds a product can serve, in field order. */
export function fileKinds(product: Product): FileKind[] {
  return PRODUCT_SPECS[product].fileFields.map((f) => f.kind);
}
