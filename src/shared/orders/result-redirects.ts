import type { RedisClient } from '../platform/redis';

/**
 * Where the browser of a started verification goes once its result is recorded, when the
 * partner asked for a page of its own (`redirectUrl`). Kept in Redis for a day (the user is back
 * within minutes); a miss or a Redis outage only means the default answer (RESULT_REDIRECT_URL
 * or our small page), never a lost result.
 */
export class ResultRedirects {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds = 24 * 3600,
    private readonly timeoutMs = 200,
  ) {}

  async remember(appId: string, orderNo: string, url: string): Promise<void> {
    await this.redis.set(this.key(appId, orderNo), url, 'EX', this.ttlSeconds);
  }

  /** The partner's page for this order, or undefined (none, expired, Redis slow or down). */
  async lookup(appId: string, orderNo: string): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    });
    const read = this.redis.get(this.key(appId, orderNo)).then(
      (v) => v ?? undefined,
      () => undefined,
    );
    return Promise.race([read, timeout]).finally(() => clearTimeout(timer));
  }

  private key(appId: string, orderNo: string): string {
    return `${this.prefix}:start-redirect:${appId}:${orderNo}`;
  }
}

/**
 * Whether `raw` may be a started verification's result page: an absolute http(s) URL without
 * credentials whose origin is one the operator allowed (START_REDIRECT_ORIGINS, or that of
 * RESULT_REDIRECT_URL). A stolen partner token must not turn our domain into an open redirect.
 */
export function allowedRedirect(
  raw: string,
  cfg: { START_REDIRECT_ORIGINS: string; RESULT_REDIRECT_URL?: string },
): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return undefined;
  const allowed = cfg.START_REDIRECT_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => originOf(o));
  if (cfg.RESULT_REDIRECT_URL) allowed.push(originOf(cfg.RESULT_REDIRECT_URL));
  return allowed.includes(url.origin) ? url : undefined;
}

function originOf(raw: string): string | undefined {
  try {
    return new URL(raw).origin;
  } catch {
    return undefined;
  }
}
