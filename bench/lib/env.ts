import { randomBytes } from 'node:crypto';

/** A unique id of letters and digits (WeBank app ids and order numbers allow nothing else). */
export function uid(prefix = '', bytes = 6): string {
  return prefix + randomBytes(bytes).toString('hex');
}

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** One data key per run: the bench seals tickets with it, the targets open them with it. */
export const DATA_ENCRYPTION_KEY = randomBytes(32).toString('base64');

/**
 * The environment of a service target: the machine's PostgreSQL and Redis, production defaults
 * (NODE_ENV=production, LOG_LEVEL info; the output goes to the bench, which keeps the tail), and
 * the section's own app id, queue prefix, S3 and WeBank settings in `extra`.
 */
export function serviceEnv(extra: Record<string, string | undefined>): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    DATABASE_URL,
    REDIS_URL,
    DATA_ENCRYPTION_KEY,
    WEBANK_BASE_URL: 'http://127.0.0.1:9',
    S3_BUCKET: 'bench-unused',
    S3_ACCESS_KEY_ID: 'test',
    S3_SECRET_ACCESS_KEY: 'test',
    S3_FORCE_PATH_STYLE: 'true',
    S3_ENDPOINT: 'http://127.0.0.1:9',
    RESULT_REDIRECT_URL: 'https://partner.example.com/result',
    CONSOLE_COOKIE_SECURE: 'auto',
    ...extra,
  };
}
