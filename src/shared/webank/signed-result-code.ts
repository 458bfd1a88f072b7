/**
 * The shapes of `code` a signed H5 redirect can carry (cloud.tencent.com/document/product/1007/35895
 * 结果返回及跳转; the back-end codes: 1007/47912 人脸核身错误码): "0" for a pass, or one of the
 * 8-digit back-end codes (66660004, 66660015…). Front-end codes (3001–3005, 300101) arrive
 * unsigned and take another path.
 *
 * Anything else is refused before the signature is checked: WeBank signs the sorted values
 * joined with no separator, so a genuine signature for order 1000123 code 0 also signs
 * orderNo 0123 code 0100, orderNo 0 code 1000123, … — every shifted pair has a code of
 * another shape. What remains (a pair of which both halves fit, e.g. orderNo "0"+P with an
 * 8-digit code from order P+"66660015") is settled by the archiver's query (docs/security.md).
 */
export const SIGNED_RESULT_CODE = /^(?:0|[1-9][0-9]{7})$/;

export function isSignedResultCode(code: string): boolean {
  return SIGNED_RESULT_CODE.test(code);
}
