/**
 * The WeBank answer codes the simulator uses. WeBank always answers HTTP 200 and puts the outcome
 * in `code` (a string); "0" is success. docs/simulator.md lists them for partners.
 */
export const CODES = {
  ok: { code: '0', msg: '请求成功' },
  /** Sign of a query does not verify against any ticket the simulator considers valid. */
  badSign: { code: '400101', msg: '签名校验失败' },
  /** A required parameter is missing or malformed (nonce not 32 letters/digits, wrong type...). */
  badRequest: { code: '400102', msg: '不合法的请求参数' },
  /** access_token unknown or expired (api_ticket). */
  badAccessToken: { code: '400103', msg: 'access_token 不合法或已过期' },
  /** app_id unknown or secret wrong (access_token). */
  badCredentials: { code: '400104', msg: 'app_id 或 secret 不合法' },
  /** Unknown order, older than 3 days, abandoned or risk-controlled scan, or not yet finished. */
  noResult: { code: '66660011', msg: '无此查询结果' },
} as const;

/** Messages for scan result codes a test may choose; anything else gets a generic message. */
const RESULT_MESSAGES: Record<string, string> = {
  '0': '比对成功',
  '66660015': '姓名或身份证号码不正确',
  '66660016': '视频格式或大小不合法',
  '66660017': '验证次数超限',
  '66660018': '照片与身份证照片不是同一人',
  '66660023': '照片质量过低',
};

export function resultMessage(code: string): string {
  return RESULT_MESSAGES[code] ?? '核身失败';
}

/** The default code of a failed scan. */
export const DEFAULT_FAIL_CODE = '66660015';

/** The code an OCR side carries when it failed to recognise the card. */
export const OCR_SIDE_FAIL_CODE = '-9102';

/** Orders older than this have no queryable result any more. */
export const RESULT_RETENTION_MS = 3 * 24 * 3600 * 1000;
