import type { Product } from '../platform/config';
import { productSpec, type FileKind } from './products';
import { resultField, type Scalars } from './result-fields';

/**
 * Which files an answered order must have before it is archived, and which it may lack.
 *
 * Defaults: faceid and liveness require the photo and the video. OCR sides succeed on their own:
 * a recognised side requires its photo, and the front side also the head photo; the crops
 * (`frontCrop`, `backCrop`) are optional because WeBank leaves them empty when cropping failed and
 * says to use the original photo instead (1007/35864). An app can name its own required set
 * (`requiredFiles` in WEBANK_APPS) for modes that produce no video, or no photo; whatever else
 * the product serves is then optional.
 */
export interface FilePlan {
  required: FileKind[];
  optional: FileKind[];
}

const OCR_FRONT: readonly FileKind[] = ['front_photo', 'head_photo', 'front_crop'];
const OCR_BACK: readonly FileKind[] = ['back_photo', 'back_crop'];
const DEFAULT_OPTIONAL: ReadonlySet<FileKind> = new Set(['front_crop', 'back_crop']);

/** The files this answer can carry: every kind of a face product; the recognised sides' of OCR. */
function applicableKinds(product: Product, result: Scalars): FileKind[] {
  if (product !== 'ocr') return productSpec(product).fileFields.map((f) => f.kind);
  const kinds: FileKind[] = [];
  if (resultField(result, 'frontCode') === '0') kinds.push(...OCR_FRONT);
  if (resultField(result, 'backCode') === '0') kinds.push(...OCR_BACK);
  return kinds;
}

export function filePlan(product: Product, result: Scalars, requiredFiles?: readonly FileKind[]): FilePlan {
  const kinds = applicableKinds(product, result);
  const isRequired = (k: FileKind) => (requiredFiles ? requiredFiles.includes(k) : !DEFAULT_OPTIONAL.has(k));
  return { required: kinds.filter(isRequired), optional: kinds.filter((k) => !isRequired(k)) };
}
