import type { Queue } from 'bullmq';
import type { RedisClient } from '../shared/platform/redis';
import { recordAudit, type AuditAction, type AuditContext, type AuditWrite } from '../shared/compliance/audit';
import { ConfigError, loadConfig, type Config } from '../shared/platform/config';
import { scopeOf, validAppKeys, type AppScope } from '../shared/compliance/staff/app-scope';
import { createDb, type Db } from '../shared/platform/db';
import { AppError } from '../shared/platform/errors';
import { EvidenceStore } from '../shared/evidence/evidence-store';
import { createArchiveQueue, type ArchiveJobData } from '../shared/orders/archive-queue';
import { createRedis } from '../shared/platform/redis';
import { CliError, EXIT, type CliIo } from './io';

/**
 * The service connections a command needs, opened on first use (so offline commands such as
 * `export check` need no configuration) and closed when the command ends.
 */
export class CliServices {
  private cfgValue?: Config;
  private dbValue?: Db;
  private evidenceValue?: EvidenceStore;
  private redisValue?: RedisClient;
  private queueValue?: Queue<ArchiveJobData>;

  constructor(readonly io: CliIo) {}

  get cfg(): Config {
    if (!this.cfgValue) {
      try {
        this.cfgValue = loadConfig(this.io.env);
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, EXIT.unavailable);
        throw err;
      }
    }
    return this.cfgValue;
  }

  /** The app scope of this CLI (CLI_APP_SCOPE); null = every app. */
  get scope(): AppScope {
    const keys = (this.cfg.CLI_APP_SCOPE ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    return scopeOf(this.cfg, validAppKeys(this.cfg, keys));
  }

  get db(): Db {
    this.dbValue ??= createDb(this.cfg.DATABASE_URL, 2);
    return this.dbValue;
  }

  get evidence(): EvidenceStore {
    this.evidenceValue ??= EvidenceStore.fromConfig(this.cfg);
    return this.evidenceValue;
  }

  get archiveQueue(): Queue<ArchiveJobData> {
    if (!this.queueValue) {
      this.redisValue = createRedis(this.cfg.redis, 'producer', 'faceid-cli');
      this.queueValue = createArchiveQueue(this.redisValue, this.cfg.QUEUE_PREFIX);
    }
    return this.queueValue;
  }

  /** The audit actor of this CLI run. */
  get actor(): AuditContext {
    return { actor: `cli:${this.io.osUser}`, actorRole: 'cli', ip: null, userAgent: 'faceid-archiver-cli' };
  }

  async audit(entry: Omit<AuditWrite, 'actor' | 'actorRole' | 'ip' | 'userAgent'>): Promise<void> {
    await recordAudit(this.db, { ...this.actor, ...entry });
  }

  /**
   * Runs an audited command: the command writes its row on success; if it throws first, a
   * failure row is written here (when the database is reachable at all).
   */
  async audited<T>(
    action: AuditAction,
    run: (done: () => void) => Promise<T>,
    order?: () => AuditWrite['order'],
  ): Promise<T> {
    let audited = false;
    try {
      return await run(() => {
        audited = true;
      });
    } catch (err) {
      if (!audited && this.dbValue) {
        const code = err instanceof AppError ? err.code : err instanceof CliError ? 'cli_error' : 'internal';
        const message = err instanceof AppError || err instanceof CliError ? err.message.slice(0, 200) : undefined;
        await this.audit({
          action,
          outcome: 'failure',
          order: order?.() ?? null,
          detail: { error: code, message },
        }).catch(() => undefined);
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    this.evidenceValue?.close();
    await this.queueValue?.close().catch(() => undefined);
    this.redisValue?.disconnect();
    await this.dbValue?.$disconnect().catch(() => undefined);
  }
}
