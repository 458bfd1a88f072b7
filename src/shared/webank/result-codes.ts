/**
 * The shapes a result `code` takes on the callback URL and in query answers:
 * - `0`: success;
 * - front-end codes (1007/114178 前置条件, 1007/35895): the H5 page could not scan at all and sends
 *   the user back with one of these, unsigned; never a result;
 * - back-end codes: WeBank's verdict on a scan, 8 digits `6666xxxx` (66660011 no result, 66660015 …).
 */
export interface FrontendCode {
  /** WeBank's 返回信息. */
  zh: string;
  en: string;
  /** WeBank's 处理措施, for the user. */
  adviceZh: string;
  adviceEn: string;
}

export const FRONTEND_ERROR_CODES: ReadonlyMap<string, FrontendCode> = new Map([
  [
    '3001',
    {
      zh: '该浏览器不支持视频录制',
      en: 'This browser cannot record video',
      adviceZh: '请使用其他验证方式',
      adviceEn: 'Please use another way to verify',
    },
  ],
  [
    '3002',
    {
      zh: '登录态异常,cookie 参数缺失',
      en: 'The session was lost (cookie missing)',
      adviceZh: '请重新进入',
      adviceEn: 'Please start again',
    },
  ],
  [
    '3003',
    {
      zh: '人脸核身中途中断',
      en: 'The verification was interrupted',
      adviceZh: '请重新进入',
      adviceEn: 'Please start again',
    },
  ],
  [
    '3004',
    {
      zh: '无摄像头权限',
      en: 'No permission to use the camera',
      adviceZh: '请重新进入并允许使用摄像头',
      adviceEn: 'Please start again and allow the camera',
    },
  ],
  [
    '3005',
    {
      zh: '该浏览器不支持实时检测模式',
      en: 'This browser does not support live detection',
      adviceZh: '请使用其他浏览器',
      adviceEn: 'Please use another browser',
    },
  ],
  [
    '300101',
    { zh: '报文包体问题', en: 'The request could not be read', adviceZh: '请重新进入', adviceEn: 'Please start again' },
  ],
]);

export type CodeKind = 'success' | 'frontend' | 'backend' | 'other';

export function codeKind(code: string): CodeKind {
  if (code === '0') return 'success';
  if (FRONTEND_ERROR_CODES.has(code)) return 'frontend';
  if (/^6666\d{4}$/.test(code)) return 'backend';
  return 'other';
}
