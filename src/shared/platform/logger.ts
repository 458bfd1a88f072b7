import winston from 'winston';

/**
 * Fields whose values never reach a log line: WeBank secrets and tickets, signatures,
 * and the personal data WeBank returns (ID number, name, OCR fields). Matched in any case
 * (`Name`, `IDCARD`…), so each field is listed once.
 */
const SECRET_KEYS = new Set(
  [
    'secret',
    'ticket',
    'tickets',
    'value',
    'access_token',
    'accessToken',
    'sign',
    'signature',
    'newSignature',
    'newSign',
    'nonce',
    'password',
    'token',
    'authorization',
    'cookie',
    'idNo',
    'name',
    'idcard',
    'address',
    'birth',
    'photo',
    'video',
    'frontPhoto',
    'backPhoto',
    'frontCrop',
    'backCrop',
    'headPhoto',
    'DATA_ENCRYPTION_KEY',
    'WEBANK_SECRET',
    'S3_SECRET_ACCESS_KEY',
  ].map((k) => k.toLowerCase()),
);

const QUERY_SECRETS = /([?&](?:secret|access_token|sign|newSignature|newSign|ticket|nonce)=)[^&\s"']*/gi;
// Mainland ID numbers (18 chars, last may be X) wherever they slip into free text.
const ID_NUMBER = /\b\d{17}[\dXx]\b/g;

export const REDACTED = '[redacted]';

/** Returns a copy of `value` with secret fields and patterns replaced; safe on cycles. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return value.replace(QUERY_SECRETS, `$1${REDACTED}`).replace(ID_NUMBER, REDACTED);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, seen), stack: redact(value.stack, seen) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.has(k.toLowerCase()) && v != null && v !== '' ? REDACTED : redact(v, seen);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  // winston keeps level/message under symbols too, so the info object itself must go on: its
  // visible fields are overwritten with their cleaned copies (redact keeps every key).
  return Object.assign(info, redact({ ...info }) as winston.Logform.TransformableInfo);
});

/** The root logger: JSON lines, redacted. Components take `logger.child({ component })`. */
export const logger = winston.createLogger({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
  transports: [
    new winston.transports.Console({
      stderrLevels: ['error', 'warn'],
      // Tests assert on captured lines instead; LOG_LEVEL set explicitly brings the console back.
      silent: process.env.NODE_ENV === 'test' && !process.env.LOG_LEVEL,
    }),
  ],
});

export type Logger = winston.Logger;

/** A child logger for one component (`http`, `callback`, `archiver`, `tickets`, ...). */
export function componentLogger(component: string): Logger {
  return logger.child({ component });
}
