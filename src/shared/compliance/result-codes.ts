/**
 * What WeBank's result codes mean, in words staff read, with the page each meaning comes from.
 * This is the one table: the console, the CLI and the export manifest describe codes from here.
 * A code we have no page for says so (`source` names where its words come from instead).
 */

export type Outcome = 'passed' | 'failed' | 'none';

export interface ResultCodeInfo {
  code: string;
  zh: string;
  en: string;
  /** The page the meaning follows (a Tencent Cloud 人脸核身 document), or our own note when none was readable. */
  source: string;
  /** Only for these products (the same code means another thing elsewhere). */
  products?: readonly string[];
}

const OCR_CODES = 'https://cloud.tencent.com/document/product/1007/47902';
/** WeBank's face-verification error-code page (1007/47912) could not be read here; see docs/simulator.md. */
const SIMULATOR = 'docs/simulator.md (codes.ts); WeBank page 1007/47912 was not readable';

export const RESULT_CODES: readonly ResultCodeInfo[] = [
  { code: '0', zh: '成功（核身通过）', en: 'Success (verification passed)', source: SIMULATOR },
  {
    code: '66660011',
    zh: '无此查询结果：订单不存在、已超过 3 天、用户放弃或被风控拦截',
    en: 'No result: unknown order, older than 3 days, abandoned or stopped by risk control',
    source: SIMULATOR,
  },
  {
    code: '66660015',
    zh: '姓名或身份证号码不正确',
    en: 'Name or ID number is incorrect',
    source: SIMULATOR,
    products: ['faceid', 'liveness'],
  },
  {
    code: '66660015',
    zh: '视频或图片异常，请更换图片重试',
    en: 'Video or image abnormal; retry with another image',
    source: OCR_CODES,
    products: ['ocr'],
  },
  { code: '66660016', zh: '视频格式或大小不合法', en: 'Video format or size not acceptable', source: SIMULATOR },
  { code: '66660017', zh: '验证次数超限', en: 'Too many verification attempts', source: SIMULATOR },
  {
    code: '66660018',
    zh: '照片与身份证照片不是同一人',
    en: 'The face is not the person on the ID photo',
    source: SIMULATOR,
  },
  {
    code: '66660020',
    zh: 'OCR 结果查询不到，请确认订单号',
    en: 'No OCR result found; check the order number',
    source: OCR_CODES,
  },
  { code: '66660023', zh: '照片质量过低', en: 'Photo quality too low', source: SIMULATOR },
  {
    code: '66661001',
    zh: '请调整角度，保持清晰（非身份证件或图像质量问题）',
    en: 'Adjust the angle and keep it sharp (not an ID card, or poor image quality)',
    source: OCR_CODES,
  },
  { code: '66661003', zh: '身份证已失效', en: 'The ID card has expired', source: OCR_CODES },
  { code: '66661004', zh: '身份证日期不正确', en: 'The ID card dates are not valid', source: OCR_CODES },
  { code: '66661005', zh: '图像解码异常', en: 'The image could not be decoded', source: OCR_CODES },
  { code: '66661006', zh: '非身份证人像面', en: 'Not the portrait side of an ID card', source: OCR_CODES },
  { code: '66661007', zh: '非身份证国徽面', en: 'Not the emblem side of an ID card', source: OCR_CODES },
  {
    code: '66661008',
    zh: '姓名或身份证号未能识别',
    en: 'Name or ID number could not be recognised',
    source: OCR_CODES,
  },
  { code: '66661010', zh: '格式有误，请上传图片格式', en: 'Wrong format; upload an image', source: OCR_CODES },
  { code: '66661012', zh: '签发机关未能识别', en: 'Issuing authority could not be recognised', source: OCR_CODES },
  { code: '66661099', zh: '处理失败', en: 'Processing failed', source: OCR_CODES },
  { code: '300101', zh: '加解密失败', en: 'Encryption or decryption failed', source: OCR_CODES },
  {
    code: '-9102',
    zh: '此面未能识别（无内容、无图片）',
    en: 'This side was not recognised (no fields, no images)',
    source: 'docs/simulator.md (getOcrResult: a side that failed)',
  },
];

/** The meaning of a code for a product; undefined when the table does not have it. */
export function describeResultCode(code: string | null | undefined, product?: string): ResultCodeInfo | undefined {
  if (code === null || code === undefined || code === '') return undefined;
  const matches = RESULT_CODES.filter((c) => c.code === code);
  return (
    matches.find((c) => product !== undefined && c.products?.includes(product)) ??
    matches.find((c) => !c.products) ??
    matches[0]
  );
}

/** The code that says WeBank holds no result (not a failure of the person). */
export const NO_RESULT_CODE = '66660011';

/** OCR side codes as stored in the order's details. */
export interface OcrSides {
  front?: string;
  back?: string;
}

export function ocrSidesOf(details: unknown): OcrSides | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const d = details as Record<string, unknown>;
  const front = typeof d.frontCode === 'string' ? d.frontCode : undefined;
  const back = typeof d.backCode === 'string' ? d.backCode : undefined;
  return front === undefined && back === undefined ? undefined : { front, back };
}

/**
 * The verification outcome, apart from the archive status: passed only when WeBank said `0` and,
 * for OCR, every side it reported was recognised; no result when there is no code (or WeBank has
 * none); anything else failed.
 */
export function outcomeOf(resultCode: string | null | undefined, details?: unknown): Outcome {
  if (resultCode === null || resultCode === undefined || resultCode === '' || resultCode === NO_RESULT_CODE)
    return 'none';
  if (resultCode !== '0') return 'failed';
  const sides = ocrSidesOf(details);
  if (sides && ((sides.front !== undefined && sides.front !== '0') || (sides.back !== undefined && sides.back !== '0')))
    return 'failed';
  return 'passed';
}
