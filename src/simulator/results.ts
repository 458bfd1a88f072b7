import { mediaPlaceholder } from './body-writer';
import { CODES, OCR_SIDE_FAIL_CODE, resultMessage } from './codes';
import { compactTime, readableTime } from './format';
import type { MediaSource } from './media';
import type { ScanRecord } from './types';

/**
 * Which answer shapes to serve: `current` follows today's pages (docs/simulator.md cites each);
 * `legacy` the older ones this service was first built from (SIM_LEGACY_SHAPES=1).
 */
export type Shapes = 'current' | 'legacy';

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

/**
 * Fills each field with a media placeholder when it is wanted, ready and present. A wanted file
 * the scan did not produce (a crop WeBank could not cut, a mode without video) is "" in today's
 * shapes ("该字段会返回空", 1007/35864), null in the older ones; anything else is null.
 */
function attach(
  fields: readonly string[],
  wanted: Set<string>,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
  shapes: Shapes,
): { values: Record<string, string | null>; media: Record<string, MediaSource> } {
  const values: Record<string, string | null> = {};
  const media: Record<string, MediaSource> = {};
  for (const f of fields) {
    const source = available[f];
    if (ready && wanted.has(f) && source) {
      values[f] = mediaPlaceholder(f);
      media[f] = source;
    } else {
      values[f] = ready && wanted.has(f) && shapes === 'current' ? '' : null;
    }
  }
  return { values, media };
}

/** When the scan happened: `yyyyMMddHHmmss` today (1007/114181, 1007/114167), readable in the older pages. */
const occurred = (scan: ScanRecord, shapes: Shapes) =>
  shapes === 'current' ? compactTime(scan.finishedAt) : readableTime(scan.finishedAt);

function outcome(scan: ScanRecord): { code: string; msg: string } {
  return scan.code === '0' ? { code: '0', msg: CODES.ok.msg } : { code: scan.code, msg: resultMessage(scan.code) };
}

/** `/api/server/sync` (faceid). Today's shape adds `result.transactionTime` (1007/35880). */
export function syncResult(
  scan: ScanRecord,
  getFile: string | undefined,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
  shapes: Shapes = 'current',
): ResultBody {
  const { values, media } = attach(['photo', 'video'], wantedFaceFields(getFile), ready, available, shapes);
  return {
    ...outcome(scan),
    media,
    result: {
      orderNo: scan.orderNo,
      bizSeqNo: scan.bizSeqNo,
      ...(shapes === 'current' && { transactionTime: compactTime(Date.now()) }),
      idNo: scan.idNo,
      idType: '01',
      name: scan.name,
      liveRate: scan.liveRate,
      similarity: scan.similarity,
      occurredTime: occurred(scan, shapes),
      appId: scan.appId,
      photo: values.photo,
      video: values.video,
      success: false,
    },
  };
}

/**
 * `POST /api/v2/base/queryfacerecord` (faceid and liveness; 1007/114181): no identity in the
 * result; `sdkVersion` and `trtcFlag` (with queryVersion "1.0" per the page; always here).
 */
export function faceRecordResult(
  scan: ScanRecord,
  getFile: string | undefined,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
  shapes: Shapes = 'current',
): ResultBody {
  const { values, media } = attach(['photo', 'video'], wantedFaceFields(getFile), ready, available, shapes);
  return {
    ...outcome(scan),
    media,
    result: {
      orderNo: scan.orderNo,
      liveRate: scan.liveRate,
      similarity: scan.product === 'liveness' ? '' : scan.similarity,
      occurredTime: compactTime(scan.finishedAt),
      appId: scan.appId,
      photo: values.photo,
      video: values.video,
      bizSeqNo: scan.bizSeqNo,
      sdkVersion: '1.0.0',
      trtcFlag: 'N',
    },
  };
}

/** `/api/server/getLiveResult` (liveness). */
export function liveResult(
  scan: ScanRecord,
  getFile: string | undefined,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
  shapes: Shapes = 'current',
): ResultBody {
  const { values, media } = attach(['photo', 'video'], wantedFaceFields(getFile), ready, available, shapes);
  return {
    ...outcome(scan),
    media,
    result: {
      orderNo: scan.orderNo,
      liveRate: scan.liveRate,
      occurredTime: occurred(scan, shapes),
      photo: values.photo,
      video: values.video,
      success: false,
    },
  };
}

const OCR_IMAGES = ['frontPhoto', 'backPhoto', 'frontCrop', 'backCrop', 'headPhoto'];

/**
 * `/api/server/getOcrResult` (ocr): images only with get_file=1; a failed side has no data nor
 * images. Today's shape (1007/35864): lower-case `name`, `sex`, `nation`, `birth`, `address`,
 * `idcard`, `authority`, `validDate`, plus `frontMultiWarning`, `backMultiWarning`,
 * `frontClarity`, `backClarity`, and `bizSeqNo`/`transactionTime` inside `result`; crops may be "".
 * The older shape: `Name`, `Sex`, `Nation`, `Birth`, `Address`, `Idcard`, `Authority`, `validate`.
 */
export function ocrResult(
  scan: ScanRecord,
  getFile: string | undefined,
  ready: boolean,
  available: Record<string, MediaSource | undefined>,
  shapes: Shapes = 'current',
): ResultBody {
  const wanted = new Set(getFile === '1' ? OCR_IMAGES : []);
  const { values, media } = attach(OCR_IMAGES, wanted, ready, available, shapes);
  const { front, back } = scan.ocr;
  const id = scan.idNo;
  const male = Number(id.charAt(16)) % 2 === 1;
  const person = {
    name: front ? scan.name : '',
    sex: front ? (male ? '男' : '女') : '',
    nation: front ? '汉' : '',
    birth: front ? id.slice(6, 14) : '',
    address: front ? '北京市朝阳区模拟路1号' : '',
    idcard: front ? id : '',
  };
  const card = { authority: back ? '北京市公安局朝阳分局' : '' };
  const common = {
    orderNo: scan.orderNo,
    frontCode: front ? '0' : OCR_SIDE_FAIL_CODE,
    backCode: back ? '0' : OCR_SIDE_FAIL_CODE,
  };
  const tail = { frontWarnCode: '', backWarnCode: '', operateTime: readableTime(scan.finishedAt), success: false };
  if (shapes === 'legacy') {
    return {
      ...outcome(scan),
      media,
      result: {
        ...common,
        Name: person.name,
        Sex: person.sex,
        Nation: person.nation,
        Birth: person.birth,
        Address: person.address,
        Idcard: person.idcard,
        validate: back ? '2020.01.01-2040.01.01' : '',
        Authority: card.authority,
        ...values,
        ...tail,
      },
    };
  }
  return {
    ...outcome(scan),
    media,
    result: {
      ...common,
      ...person,
      validDate: back ? '20200101-20400101' : '',
      ...card,
      ...values,
      ...tail,
      frontMultiWarning: '',
      backMultiWarning: '',
      frontClarity: front ? '95' : '',
      backClarity: back ? '93' : '',
      bizSeqNo: scan.bizSeqNo,
      transactionTime: compactTime(Date.now()),
    },
  };
}
