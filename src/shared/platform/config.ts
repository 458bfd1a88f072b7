import { createPrivateKey } from 'node:crypto';
import { isTimeZone, setDisplayZone } from './display-time';
import { z } from 'zod';
import { redisTopology, type RedisTopology } from './redis';

/** The WeBank products whose results we archive; each has its own query path and file fields. */
export const PRODUCTS = ['faceid', 'liveness', 'ocr'] as const;
export type Product = (typeof PRODUCTS)[number];

/**
 * WeBank's identity upload that starts an H5 verification, per flavour of the contract: 基础版
 * `geth5faceid` (h5faceId), 增强版 `getAdvFaceId` and Plus `getPlusFaceId` (faceId). docs/simulator.md.
 */
export const START_APIS = ['geth5faceid', 'getAdvFaceId', 'getPlusFaceId'] as const;
export type StartApi = (typeof START_APIS)[number];
/** The same for the App SDK: 基础版 `getfaceid`, 增强版 `getAdvFaceId`, Plus `getPlusFaceId`. */
export const SDK_START_APIS = ['getfaceid', 'getAdvFaceId', 'getPlusFaceId'] as const;
export type SdkStartApi = (typeof SDK_START_APIS)[number];
/**
 * How an app pulls its results and files: `sync` (the product's own query: sync, getLiveResult,
 * getOcrResult) or `queryfacerecord` (1007/114181 人脸核身结果查询接口(升级), POST with a JSON
 * body; face products only). docs/simulator.md.
 */
export const QUERY_APIS = ['sync', 'queryfacerecord'] as const;
export type QueryApi = (typeof QUERY_APIS)[number];
/** Where `queryfacerecord` lives unless an app says otherwise (1007/114181). */
const QUERYFACERECORD_HOST = 'https://kyc1.qcloud.com';
/** What an evidence file is, as stored (`evidence.kind`); webank/products maps them to answer fields. */
export const FILE_KINDS = [
  'photo',
  'video',
  'front_photo',
  'back_photo',
  'front_crop',
  'back_crop',
  'head_photo',
] as const;

const SAAS_HOST = 'https://miniprogram-kyc.tencentcloudapi.com';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** An optional URL where an empty value means unset (as `VAR=` in an env file does). */
const optionalUrl = z
  .union([z.literal(''), z.string().url()])
  .optional()
  .transform((v) => v || undefined);
const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

/** One WeBank app we hold tickets for and accept callbacks of. `key` names it in URLs (`/webank/callback/:key`). */
const appSchema = z.object({
  key: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32'),
  appId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  secret: z.string().min(1),
  product: z.enum(PRODUCTS).default('faceid'),
  baseUrl: z.string().url().optional(),
  /** Overrides RETENTION_DAYS for this app; 0 = keep forever. */
  retentionDays: z.number().int().nonnegative().optional(),
  /** Which upload starts this app's H5 verifications (must match the WeBank contract). */
  startApi: z.enum(START_APIS).default('geth5faceid'),
  /** Which upload starts this app's App SDK verifications. */
  sdkStartApi: z.enum(SDK_START_APIS).default('getAdvFaceId'),
  /** The App SDK's keyLicence (WeBank console), handed to the App with its start parameters. */
  sdkLicence: z.string().min(1).max(4096).optional(),
  /** Which query pulls this app's results and files (`queryfacerecord`: faceid and liveness only). */
  queryApi: z.enum(QUERY_APIS).default('sync'),
  /** Host of `queryfacerecord`; default https://kyc1.qcloud.com. */
  queryBaseUrl: z.string().url().optional(),
  /**
   * The files an order of this app must have before it is ARCHIVED (default per product, see
   * webank/required-files.ts); any other file the product serves is optional.
   */
  requiredFiles: z.array(z.enum(FILE_KINDS)).optional(),
});
export type WebankApp = Omit<z.infer<typeof appSchema>, 'baseUrl' | 'queryBaseUrl'> & {
  baseUrl: string;
  queryBaseUrl: string;
};

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  DATABASE_URL: z.string().url(),
  DATABASE_POOL_SIZE: int(10),
  /**
   * Redis: exactly one of REDIS_URL (one node, redis:// or rediss://, credentials in the URL),
   * REDIS_CLUSTER_NODES (Redis Cluster seeds, `redis://host:port,...`) or REDIS_SENTINELS
   * (`host:port,...`) + REDIS_SENTINEL_NAME. Checked together by `redisTopology` (platform/redis.ts).
   */
  REDIS_URL: z.string().optional(),
  REDIS_CLUSTER_NODES: z.string().optional(),
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z.string().optional(),
  /** Cluster and Sentinel: the data nodes' ACL user and password (or in the seed URLs for a cluster). */
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  /** Sentinel: the sentinels' own password, when they require one. */
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  /** Sentinel: the database number (a cluster has only 0; one node takes it from REDIS_URL's path). */
  REDIS_DB: z.string().optional(),
  /** Sentinel: TLS to the sentinels and the master (a cluster takes TLS from rediss:// seeds). */
  REDIS_TLS: z.string().optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9_-]+\}$/, 'a Redis Cluster hash tag such as {faceid}')
    .default('{faceid}'),
  PORT: int(3000),
  WORKER_PORT: int(3001),
  /** The web process's internal port: /healthz, /readyz, /metrics (never on PORT, which is public). */
  OPS_PORT: int(3002),
  TRUST_PROXY: z.string().default('loopback'),
  WEBANK_BASE_URL: z.string().url().default(SAAS_HOST),
  WEBANK_APP_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -'),
  WEBANK_SECRET: z.string().min(1),
  WEBANK_PRODUCT: z.enum(PRODUCTS).default('faceid'),
  /** The default app's start flavours and App SDK licence (per app: `startApi`, `sdkStartApi`, `sdkLicence`). */
  WEBANK_START_API: z.enum(START_APIS).default('geth5faceid'),
  WEBANK_SDK_START_API: z.enum(SDK_START_APIS).default('getAdvFaceId'),
  WEBANK_SDK_LICENCE: z.string().max(4096).optional(),
  /** The default app's query API (per app: `queryApi`, `queryBaseUrl`). */
  WEBANK_QUERY_API: z.enum(QUERY_APIS).default('sync'),
  WEBANK_QUERY_BASE_URL: optionalUrl,
  /** Extra apps as JSON: [{"key":"shop","appId":"...","secret":"...","product":"ocr","baseUrl":"..."}]. */
  WEBANK_APPS: z.string().optional(),
  WEBANK_TIMEOUT_MS: int(10000),
  /**
   * Caps on a WeBank answer (issue 15, item 8): fields per object, bytes of non-file values in
   * all, decoded bytes of a photo (any image kind) and of a video. Past one the answer is refused
   * as malformed (the error names the field, never its value).
   */
  WEBANK_MAX_FIELDS: z.coerce.number().int().positive().default(256),
  WEBANK_MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  WEBANK_MAX_PHOTO_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  WEBANK_MAX_VIDEO_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(512 * 1024 * 1024),
  TICKET_REFRESH_MINUTES: z.coerce.number().positive().default(20),
  TICKET_SAFETY_MARGIN_SECONDS: int(300),
  /**
   * A forced refresh (WeBank refused our sign on an authenticated query) is skipped while the held
   * ticket is younger than this: several refusals of one rotation cause one refresh.
   */
  TICKET_MIN_FORCED_REFRESH_MS: z.coerce.number().int().nonnegative().default(5000),
  /** How long a superseded ticket still verifies callbacks (WeBank keeps the old one valid about a minute). */
  TICKET_GRACE_SECONDS: int(120),
  /** A callback signature matching no held ticket may re-read the SIGN ticket (held token) at most once per this, per app, cluster-wide. */
  TICKET_REREAD_MIN_GAP_SECONDS: int(60),
  /** …and one client address may cause at most this many re-reads per TICKET_REREAD_IP_WINDOW_SECONDS. */
  TICKET_REREAD_PER_IP: int(3),
  TICKET_REREAD_IP_WINDOW_SECONDS: z.coerce.number().int().positive().default(600),
  S3_ENDPOINT: optionalUrl,
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(3),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
  S3_FORCE_PATH_STYLE: bool.default(false),
  /** when_required: no flexible checksums unless an operation demands one (S3-compatible stores); when_supported: the AWS SDK default. */
  S3_CHECKSUMS: z.enum(['when_required', 'when_supported']).default('when_required'),
  S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*$/)
    .default('evidence'),
  S3_SSE: z.enum(['', 'AES256', 'aws:kms']).default(''),
  S3_SSE_KMS_KEY_ID: z.string().optional(),
  S3_OBJECT_LOCK_DAYS: int(0),
  /** GOVERNANCE: privileged roles can still lift a lock; COMPLIANCE: nobody can before it ends. */
  S3_OBJECT_LOCK_MODE: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
  CALLBACK_PATH: z
    .string()
    .regex(/^\/[A-Za-z0-9/_-]*$/)
    .default('/webank/callback'),
  RESULT_REDIRECT_URL: optionalUrl,
  /** This service's public origin, as users' browsers reach it: the callback URL of started verifications. */
  PUBLIC_BASE_URL: optionalUrl,
  /** Origins a started verification's `redirectUrl` may point to (comma-separated); RESULT_REDIRECT_URL's is always allowed. */
  START_REDIRECT_ORIGINS: z.string().default(''),
  /** AES-256-GCM key for tickets and personal data at rest. */
  DATA_ENCRYPTION_KEY: base64Key,
  /** keep = encrypted at rest; drop = ID number and name are not stored at all. */
  PII_STORAGE: z.enum(['keep', 'drop']).default('keep'),
  OUTBOX_RELAY_INTERVAL_MS: int(2000),
  ARCHIVE_CONCURRENCY: int(4),
  ARCHIVE_RATE_PER_SECOND: int(20),
  ARCHIVE_POLL_ATTEMPTS: int(3),
  ARCHIVE_POLL_INTERVAL_MS: int(2000),
  ARCHIVE_RETRY_HORIZON_MINUTES: int(60),
  /** First retry delay of a failed archive job, doubled per attempt. */
  ARCHIVE_BACKOFF_MS: int(5000),
  /** BullMQ job lock; a crashed worker's job is retried within about lock + stalled-check interval. */
  ARCHIVE_LOCK_MS: z.coerce.number().int().min(1000).default(60000),
  ARCHIVE_STALLED_CHECK_MS: z.coerce.number().int().min(1000).default(30000),
  SHUTDOWN_TIMEOUT_MS: int(25000),
  PARTNER_RATE_PER_MINUTE: int(600),
  /** Failed authentications (partner API, console) per client address per minute before it is refused outright (429); 0 = no limit. */
  AUTH_FAILURES_PER_IP_PER_MINUTE: int(30),
  /** Verification starts per minute per partner token (each spends two WeBank calls). */
  PARTNER_START_RATE_PER_MINUTE: int(60),
  /** WeBank refusing credentials we obtained less than this long ago counts as a credential conflict. */
  CREDENTIAL_CONFLICT_WINDOW_MINUTES: z.coerce.number().positive().default(30),
  /** More conflicts than this in an hour: another system is refreshing the same WBappid (/readyz, metric). */
  CREDENTIAL_CONFLICT_MAX_PER_HOUR: int(2),
  /** A registered order with no callback after this long is looked up at WeBank by the sweeper. */
  RECOVERY_QUIET_MINUTES: z.coerce.number().nonnegative().default(10),
  /** WeBank keeps results this long; after it a never-found order is EXPIRED. */
  RECOVERY_WINDOW_HOURS: z.coerce.number().positive().default(72),
  /** A registered order's `startedAt` may be at most this old (and never more than half RECOVERY_WINDOW_HOURS). */
  REGISTRATION_MAX_AGE_HOURS: z.coerce.number().positive().default(24),
  RECOVERY_INTERVAL_MS: int(30000),
  /** How often the reconciler (one leader) looks for orders without a live job and samples counts. */
  RECONCILER_INTERVAL_MS: int(60000),
  /** An unfinished order untouched this long and without a live job is re-enqueued (or failed). */
  RECONCILER_STUCK_MINUTES: z.coerce.number().nonnegative().default(10),
  /** Evidence and personal data of finished orders older than this are purged; 0 = keep forever. Per app: `retentionDays`. */
  RETENTION_DAYS: int(0),
  /** How often the retention purge (one leader) runs. */
  RETENTION_INTERVAL_MS: int(3600000),
  /**
   * A whole-object check of an evidence object is trusted this long for ranged reads (the video
   * player's seeks): a range cannot be hashed against the whole object's SHA-256, so a range is
   * served only from an object verified this recently, read conditionally on the ETag it had then.
   */
  INTEGRITY_RANGE_TRUST_SECONDS: int(600),
  /** The integrity scrubber re-reads every evidence object once per this period (default a week). */
  INTEGRITY_SCRUB_PERIOD_HOURS: z.coerce.number().positive().default(168),
  /** How often the scrubber (one leader) runs a pass, and the most objects one pass re-reads. */
  INTEGRITY_SCRUB_INTERVAL_MS: int(60000),
  INTEGRITY_SCRUB_BATCH: int(20),
  /** Staff console session cookie `Secure` flag: true (default), auto (only on https requests), false (plain-http tests only). */
  CONSOLE_COOKIE_SECURE: z.enum(['true', 'false', 'auto']).default('true'),
  /** Absolute lifetime of a console session, and how long it survives without a request. */
  CONSOLE_SESSION_HOURS: z.coerce.number().positive().default(8),
  CONSOLE_SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(30),
  /** Console login rate limit: failed attempts allowed per username and per client IP within the window. */
  CONSOLE_LOGIN_WINDOW_MINUTES: z.coerce.number().int().positive().default(15),
  CONSOLE_LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().positive().default(5),
  CONSOLE_LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(20),
  /** Partner webhooks (docs/partners.md): how long one attempt may take before it counts as failed. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
  /** First retry after this long, doubling (jittered) up to WEBHOOK_BACKOFF_MAX_MS. */
  WEBHOOK_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(10000),
  WEBHOOK_BACKOFF_MAX_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(6 * 3600_000),
  /** A delivery is retried until this long after it was created (at least 3 days by default), then fails. */
  WEBHOOK_RETRY_HORIZON_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(4 * 24 * 3600),
  /** An endpoint failing this many attempts in a row is disabled (its pending deliveries wait for re-enabling). */
  WEBHOOK_DISABLE_AFTER: z.coerce.number().int().min(1).default(200),
  /** Deliveries in flight per worker replica (each endpoint also has its own concurrency and rate). */
  WEBHOOK_WORKER_CONCURRENCY: z.coerce.number().int().min(1).default(16),
  /** How often events are fanned out to endpoints and unqueued deliveries enqueued. */
  WEBHOOK_FANOUT_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
  /**
   * BullMQ's job lock and stalled-job check for deliveries: a killed worker's (or one cut off from
   * Redis mid-job) delivery is sent again by another once both have passed.
   */
  WEBHOOK_LOCK_MS: z.coerce.number().int().min(1000).default(30000),
  WEBHOOK_STALLED_CHECK_MS: z.coerce.number().int().min(500).default(30000),
  /** After a secret rotation the previous secret still signs (a second signature) this long. */
  WEBHOOK_SECRET_OVERLAP_HOURS: z.coerce.number().positive().default(24),
  /**
   * The CLI's app scope: comma-separated app keys its order commands may touch; unset = every app.
   * A guard for an operator host set up for one team, not a security boundary (DATABASE_URL reads everything).
   */
  CLI_APP_SCOPE: z.string().optional(),
  /** Staff API tokens: lifetime when none is asked for, and the longest that may be asked for (days). */
  STAFF_TOKEN_DAYS: z.coerce.number().int().positive().default(30),
  STAFF_TOKEN_MAX_DAYS: z.coerce.number().int().positive().default(90),
  /**
   * Keys `export check` trusts besides --trusted-key and EXPORT_SIGNING_KEY: comma-separated SHA-256
   * fingerprints or public-key PEM files (read by the offline check from its environment).
   */
  EXPORT_TRUSTED_KEYS: z.string().optional(),
  /** The one time zone staff see (console, audit CSV, export manifest, CLI): an IANA name; China by default. */
  DISPLAY_TIMEZONE: z
    .string()
    .default('Asia/Shanghai')
    .refine((v) => isTimeZone(v), 'must be an IANA time zone such as Asia/Shanghai'),
  /** Ed25519 private key (PKCS#8 PEM, or that PEM base64-encoded) signing evidence export manifests; unset = exports refused. */
  EXPORT_SIGNING_KEY: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || v === '' || isEd25519PrivateKey(v),
      'must be an Ed25519 private key in PEM (or base64 of the PEM)',
    ),
});

/** Accepts a PEM or a base64-encoded PEM; true when it holds an Ed25519 private key. */
function isEd25519PrivateKey(value: string): boolean {
  const pem = value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

export type Config = Readonly<
  Omit<z.infer<typeof envSchema>, 'WEBANK_APPS'> & {
    apps: readonly WebankApp[];
    /** The Redis to connect to, for `createRedis(cfg.redis, ...)` (platform/redis.ts). */
    redis: RedisTopology;
  }
>;

/** A configuration problem, listing every bad variable at once so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and freezes the configuration; throws ConfigError naming each missing or malformed variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const redis = redisTopology(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)),
    ...('problems' in redis ? redis.problems : []),
  ];
  if (!parsed.success || 'problems' in redis) throw new ConfigError(problems);
  const { WEBANK_APPS, ...rest } = parsed.data;
  const defaults = { baseUrl: rest.WEBANK_BASE_URL };
  const apps: WebankApp[] = [
    {
      key: 'default',
      appId: rest.WEBANK_APP_ID,
      secret: rest.WEBANK_SECRET,
      product: rest.WEBANK_PRODUCT,
      startApi: rest.WEBANK_START_API,
      sdkStartApi: rest.WEBANK_SDK_START_API,
      ...(rest.WEBANK_SDK_LICENCE ? { sdkLicence: rest.WEBANK_SDK_LICENCE } : {}),
      queryApi: rest.WEBANK_QUERY_API,
      queryBaseUrl: rest.WEBANK_QUERY_BASE_URL ?? QUERYFACERECORD_HOST,
      ...defaults,
    },
  ];
  if (WEBANK_APPS) {
    let raw: unknown;
    try {
      raw = JSON.parse(WEBANK_APPS);
    } catch {
      throw new ConfigError(['WEBANK_APPS: not valid JSON']);
    }
    const extra = z.array(appSchema).safeParse(raw);
    if (!extra.success) {
      throw new ConfigError(extra.error.issues.map((i) => `WEBANK_APPS.${i.path.join('.')}: ${i.message}`));
    }
    for (const app of extra.data)
      apps.push({
        ...app,
        baseUrl: app.baseUrl ?? rest.WEBANK_BASE_URL,
        queryBaseUrl: app.queryBaseUrl ?? QUERYFACERECORD_HOST,
      });
  }
  // Outside development a WeBank host is reached over https, or on this machine (the simulator,
  // a test proxy): anyone in between could otherwise read tickets and rewrite answers.
  if (rest.NODE_ENV !== 'development') {
    const plain = apps.flatMap((a) => [
      ...(insecureUrl(a.baseUrl) ? [`app "${a.key}": baseUrl must be https:// (NODE_ENV=${rest.NODE_ENV})`] : []),
      ...(a.queryApi === 'queryfacerecord' && insecureUrl(a.queryBaseUrl)
        ? [`app "${a.key}": queryBaseUrl must be https:// (NODE_ENV=${rest.NODE_ENV})`]
        : []),
    ]);
    if (plain.length) throw new ConfigError(plain);
  }
  if (rest.STAFF_TOKEN_DAYS > rest.STAFF_TOKEN_MAX_DAYS) {
    throw new ConfigError(['STAFF_TOKEN_DAYS: must not exceed STAFF_TOKEN_MAX_DAYS']);
  }
  const keys = new Set<string>();
  for (const app of apps) {
    if (keys.has(app.key)) throw new ConfigError([`WEBANK_APPS: duplicate app key "${app.key}"`]);
    keys.add(app.key);
    // queryfacerecord serves face results only: an OCR app configured for it could archive nothing.
    if (app.queryApi === 'queryfacerecord' && app.product === 'ocr')
      throw new ConfigError([`app "${app.key}": queryApi queryfacerecord serves faceid and liveness, not ocr`]);
  }
  // Every formatted instant in this process (pages, CSV, manifests, CLI) uses this one zone.
  setDisplayZone(rest.DISPLAY_TIMEZONE);
  return Object.freeze({
    ...rest,
    redis: redis.topology,
    apps: Object.freeze(apps.map((a) => Object.freeze(a))),
  });
}

/** http:// to anything but this machine (localhost, 127.0.0.0/8, ::1). */
function insecureUrl(raw: string): boolean {
  const u = new URL(raw);
  if (u.protocol === 'https:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}

let cached: Config | undefined;

/** The process-wide configuration, parsed once. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Finds an app by its URL key; undefined when unknown. */
export function appByKey(cfg: Config, key: string): WebankApp | undefined {
  return cfg.apps.find((a) => a.key === key);
}

/** Finds an app by its WeBank app id. */
export function appById(cfg: Config, appId: string): WebankApp | undefined {
  return cfg.apps.find((a) => a.appId === appId);
}
