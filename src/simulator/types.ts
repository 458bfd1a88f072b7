import type { FaceSession } from './face-sessions';

/** The public shapes of the WeBank simulator; `index.ts` re-exports them. */

export interface SimulatorApp {
  appId: string;
  secret: string;
}

export interface SimulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  apps: SimulatorApp[];
  /** SIGN ticket rotation period; default 20 min. */
  ticketPeriodMs?: number;
  /** How long a superseded ticket still verifies; default 60 s. */
  ticketGraceMs?: number;
  /** access_token lifetime; default 7200 s. Tickets die with the tokens that fetched them. */
  accessTokenTtlMs?: number;
  /**
   * Issuing a new access_token cuts the app's older tokens down to this much more life (WeBank:
   * "旧的只有一分钟的并存期", 1007/57613); default 60 s, as documented. `false` turns it off.
   */
  tokenOverlapMs?: number | false;
  /** Serve the older answer shapes (capitalised OCR fields, `validate`, readable occurredTime). */
  legacyShapes?: boolean;
  /** Share (0..1) of OCR scans whose crops come back empty (1007/35864: cropping may fail); default 0. */
  emptyCropRate?: number;
  /** NONCE ticket lifetime; default 120 s. */
  nonceTicketTtlMs?: number;
  /** Default delay after a scan finishes before its files are served; default 0. */
  fileDelayMs?: number;
  /** Seed of the fault-injection dice, for reproducible runs. */
  seed?: number;
}

export type ScanOutcome = 'pass' | 'fail' | 'abandon' | 'risk';
export type SimProduct = 'faceid' | 'liveness' | 'ocr';

export interface ScanInput {
  appId: string;
  orderNo: string;
  /** Default: the one the order's identity upload granted, else a new one. */
  h5faceId?: string;
  /** Default 'faceid'. */
  product?: SimProduct;
  /** Default 'pass'; fail uses `code` (default '66660015'); abandon/risk → queries answer 66660011. */
  outcome?: ScanOutcome;
  code?: string;
  /** Default jpg. */
  photoType?: 'jpg' | 'png';
  /** When set, generated media of about that size (valid headers) instead of the fixtures. */
  photoBytes?: number;
  videoBytes?: number;
  /** Overrides the simulator's default file delay. */
  fileDelayMs?: number;
  /** Default now; older than 3 days → 66660011. */
  finishedAt?: Date;
  idNo?: string;
  name?: string;
  /** Which OCR sides succeed; default both. */
  ocr?: { front?: boolean; back?: boolean };
  /** OCR: the crops come back empty although the sides were recognised; default per `emptyCropRate`. */
  emptyCrops?: boolean;
  /** Face products: files this mode does not produce (served empty), e.g. `['video']`. */
  withoutFiles?: ('photo' | 'video')[];
}

export interface ScanRecord extends Required<Pick<ScanInput, 'appId' | 'orderNo'>> {
  h5faceId: string;
  code: string;
  bizSeqNo: string;
  finishedAt: Date;
  product: SimProduct;
  outcome: ScanOutcome;
  photoType: 'jpg' | 'png';
  photoBytes?: number;
  videoBytes?: number;
  fileDelayMs: number;
  /** finishedAt + fileDelayMs, measured on the simulator's clock when the scan was recorded. */
  filesReadyAt: Date;
  idNo: string;
  name: string;
  liveRate: string;
  similarity: string;
  ocr: { front: boolean; back: boolean };
  emptyCrops: boolean;
  withoutFiles: ('photo' | 'video')[];
}

/** The H5 front-end error codes (1007/114178): sent to the callback URL without a signature. */
export const FRONTEND_ERROR_CODES = ['3001', '3002', '3003', '3004', '3005', '300101'] as const;

export interface Faults {
  /** Added to every /api response. */
  latencyMs: number;
  /** 0..1 */
  http5xxRate: number;
  /** Body not JSON. */
  malformedJsonRate: number;
  /** JSON cut in the middle (inside the video base64 when there is one). */
  truncatedJsonRate: number;
  /** Destroy the socket mid-response. */
  resetRate: number;
  /** photo/video fields contain invalid base64 characters. */
  invalidBase64Rate: number;
  /** Never answer (hang until the client gives up). */
  timeoutRate: number;
  /** Limit the faults to these paths (default: all /api/ paths). */
  paths?: string[];
}

export type FaultKind = 'timeout' | 'http5xx' | 'reset' | 'malformed' | 'truncated' | 'invalidBase64';

export interface RequestRecord {
  at: Date;
  method: string;
  path: string;
  query: Record<string, string>;
  /** HTTP status sent; 0 when the connection was reset or never answered. */
  status: number;
  /** The WeBank `code` of the answer, when there was one. */
  code?: string;
  /** Which ticket verified a signed query: `current` or `previous`. */
  ticket?: 'current' | 'previous';
  /** Faults applied to this response. */
  faults?: FaultKind[];
}

export interface Simulator {
  url: string;
  port: number;
  close(): Promise<void>;
  /** The SIGN ticket valid now (creating one if none). */
  currentTicket(appId: string): string;
  /** Forces a rotation now; the previous ticket stays valid ticketGraceMs. */
  rotateTickets(appId?: string): void;
  createScan(input: ScanInput): ScanRecord;
  getScan(appId: string, orderNo: string): ScanRecord | undefined;
  /** The H5 redirect signature with the current ticket. */
  signCallback(appId: string, orderNo: string, code: string): string;
  /** code, orderNo, h5faceId, newSignature, newSign for a recorded scan. */
  callbackQuery(appId: string, orderNo: string): Record<string, string>;
  /**
   * The next `times` (default 1) correctly signed result queries answer `code` (e.g. "15",
   * "Token 过期,请重试", 1007/31082) with no result, whatever the order; `msg` overrides its message.
   */
  answerQueriesWith(code: string, times?: number, msg?: string): void;
  /** What the H5 page sends the callback URL on a front-end error: code, orderNo (and h5faceId if known); no signature. */
  frontendErrorQuery(appId: string, orderNo: string, code: string): Record<string, string>;
  /** Exact bytes served per file field (photo, video, frontPhoto...), for tests to compare. */
  servedMedia(appId: string, orderNo: string): Record<string, Buffer | undefined>;
  /** SHA-256 (hex) and size per file field, computed by streaming: use this for huge videos. */
  servedMediaDigest(appId: string, orderNo: string): Record<string, { sha256: string; size: number } | undefined>;
  setFaults(f: Partial<Faults>): void;
  /** Clears the faults and any answer codes still queued by `answerQueriesWith`. */
  clearFaults(): void;
  requests(filter?: { path?: string }): RequestRecord[];
  clearRequests(): void;
  /** The NONCE tickets issued to an app's user, newest last (values included: a test double). */
  nonceTickets(appId: string, userId: string): { value: string; expiresAt: Date; used: boolean }[];
  /** Ends the NONCE tickets of an app (all apps when omitted) now: their start URLs are refused. */
  expireNonceTickets(appId?: string): void;
  /** What the identity upload of an order recorded (granted id, user, identity), if any. */
  faceSession(appId: string, orderNo: string): FaceSession | undefined;
}
