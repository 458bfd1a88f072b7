import { mediaPlaceholder } from './body-writer';
import { CODES, OCR_SIDE_FAIL_CODE, resultMessage } from './codes';
import { readableTime } from './format';
import type { MediaSource } from './media';
import type { ScanRecord } from './types';

export interface ResultBody {
  code: string;
  msg: string;
  result: Record<string, unknown>;
  media: Record<string, MediaSource>;
}

/** Which file fields a `get_file` value asks for: 1 photo+video, 2 photo, 3 video, else none. */
export function wantedFaceFields(getFile: string | undefined): Set<string> {
  if (getFile === '1') return new Set(['photo', 'video']);
  if (getFile === '2') return new Set(['photo']);
  if (getFile === '3') return new Set(['video']);
  return new Set();
}

/** Fills each field with a media placeholder when it is wanted, ready and present; null otherwise. */
function attach(
  fields: readonly string[],
  wanted: Set<string>,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
): { values: Record<string, string | null>; media: Record<string, MediaSource> } {
  const values: Record<string, string | null> = {};
  const media: Record<string, MediaSource> = {};
  for (const f of fields) {
    const source = available[f];
    if (ready && wanted.has(f) && source) {
      values[f] = mediaPlaceholder(f);
      media[f] = source;
    } else {
      values[f] = null;
    }
  }
  return { values, media };
}

function outcome(scan: ScanRecord): { code: string; msg: string } {
  return scan.code === '0' ? { code: '0', msg: CODES.ok.msg } : { code: scan.code, msg: resultMessage(scan.code) };
}

/** `/api/server/sync` (faceid). */
export function syncResult(
  scan: ScanRecord,
  getFile: string | undefined,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
): ResultBody {
  const { values, media } = attach(['photo', 'video'], wantedFaceFields(getFile), ready, available);
  return {
    ...outcome(scan),
    media,
    result: {
      orderNo: scan.orderNo,
      bizSeqNo: scan.bizSeqNo,
      idNo: scan.idNo,
      idType: '01',
      name: scan.name,
      liveRate: scan.liveRate,
      similarity: scan.similarity,
      occurredTime: readableTime(scan.finishedAt),
      appId: scan.appId,
      photo: values.photo,
      video: values.video,
      success: false,
    },
  };
}

/** `/api/server/getLiveResult` (liveness). */
export function liveResult(
  scan: ScanRecord,
  getFile: string | undefined,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
): ResultBody {
  const { values, media } = attach(['photo', 'video'], wantedFaceFields(getFile), ready, available);
  return {
    ...outcome(scan),
    media,
    result: {
      orderNo: scan.orderNo,
      liveRate: scan.liveRate,
      occurredTime: readableTime(scan.finishedAt),
      photo: values.photo,
      video: values.video,
      success: false,
    },
  };
}

const OCR_IMAGES = ['frontPhoto', 'backPhoto', 'frontCrop', 'backCrop', 'headPhoto'];

/** `/api/server/getOcrResult` (ocr): images only with get_file=1; a failed side has no data nor images. */
export function ocrResult(
  scan: ScanRecord,
  getFile: string | undefined,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
): ResultBody {
  const wanted = new Set(getFile === '1' ? OCR_IMAGES : []);
  const { values, media } = attach(OCR_IMAGES, wanted, ready, available);
  const { front, back } = scan.ocr;
  const id = scan.idNo;
  const male = Number(id.charAt(16)) % 2 === 1;
  return {
    ...outcome(scan),
    media,
    result: {
      orderNo: scan.orderNo,
      frontCode: front ? '0' : OCR_SIDE_FAIL_CODE,
      backCode: back ? '0' : OCR_SIDE_FAIL_CODE,
      Name: front ? scan.name : '',
      Sex: front ? (male ? '男' : '女') : '',
      Nation: front ? '汉' : '',
      Birth: front ? id.slice(6, 14) : '',
      Address: front ? '北京市朝阳区模拟路1号' : '',
      Idcard: front ? id : '',
      validate: back ? '2020.01.01-2040.01.01' : '',
      Authority: back ? '北京市公安局朝阳分局' : '',
      ...values,
      frontWarnCode: '',
      backWarnCode: '',
      operateTime: readableTime(scan.finishedAt),
      success: false,
    },
  };
}
