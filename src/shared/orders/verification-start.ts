import type { Config, WebankApp } from '../platform/config';
import type { Db } from '../platform/db';
import { AppError, badRequest, conflict, unavailable } from '../platform/errors';
import { componentLogger } from '../platform/logger';
import { dataKey, seal } from '../platform/sealed';
import { isSignatureRejection, WebankError } from '../webank/errors';
import { newNonce } from '../webank/signature';
import { StartClient } from '../webank/start-client';
import { NoCurrentTokenError, validDomain, WebankStart, type StartCredentials } from '../webank/start-flow';
import { CredentialConflicts } from '../webank/tickets/credential-conflicts';
import { StoredCurrentToken } from '../webank/tickets/current-token';
import { NoValidTicketError, TicketStore } from '../webank/tickets/ticket-store';
import { registerExpectedOrder } from './registration';
import { allowedRedirect, type ResultRedirects } from './result-redirects';
import { addStartStep, markStartFailed, recordGrantedFaceId } from './start-records';

const log = componentLogger('start');

export interface StartRequest {
  /** Generated (32 letters and digits) when absent. */
  orderNo?: string;
  userId: string;
  name?: string;
  idNo?: string;
  /** H5: the partner's page once the result is recorded (an allowed origin). */
  redirectUrl?: string;
  /** H5: `realtime` = real-time liveness only (liveInterType 1); `auto` (default) may fall back to video recording. */
  mode?: 'auto' | 'realtime';
}

/** Who started it, for the timeline: the partner API (its token's id) or the staff CLI. */
export interface StartOrigin {
  via: 'api' | 'cli';
  by: string;
}

export interface VerificationStarterDeps {
  cfg: Config;
  db: Db;
  webank: WebankStart;
  conflicts: CredentialConflicts;
  /** Needed only for `redirectUrl`. */
  redirects?: ResultRedirects;
}

/**
 * Starts verifications on the partner's behalf, so this service is the one holder of the
 * WBappid's credentials: the order is registered EXPECTED before WeBank is asked (the sweeper
 * recovers or expires it if no redirect ever comes), each step and WeBank's answer code go on
 * its timeline, the claimed identity is sealed on it, and only then is the signed start handed
 * out. Name and ID number are never logged nor put in an error.
 */
export class VerificationStarter {
  constructor(private readonly deps: VerificationStarterDeps) {}

  static fromConfig(cfg: Config, db: Db, redirects?: ResultRedirects): VerificationStarter {
    const store = new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY));
    const webank = new WebankStart({
      client: StartClient.fromConfig(cfg),
      signTicket: {
        currentTicket: async (appId) => {
          const t = await store.current(appId);
          if (!t) throw new NoValidTicketError(appId);
          return t.value;
        },
      },
      token: new StoredCurrentToken(store),
    });
    return new VerificationStarter({ cfg, db, webank, conflicts: CredentialConflicts.fromConfig(db, cfg), redirects });
  }

  /** H5: the signed login URL on WeBank's domain, valid once until `expiresAt` (the NONCE ticket's life). */
  async startH5(app: WebankApp, req: StartRequest, origin: StartOrigin) {
    const { cfg } = this.deps;
    if (!cfg.PUBLIC_BASE_URL)
      throw new AppError('start_not_configured', 503, 'PUBLIC_BASE_URL is not set: no callback URL to give WeBank');
    const redirect = req.redirectUrl === undefined ? undefined : allowedRedirect(req.redirectUrl, cfg);
    if (req.redirectUrl !== undefined && !redirect)
      throw badRequest('redirectUrl must be an http(s) URL on an origin in START_REDIRECT_ORIGINS');
    if (redirect && !this.deps.redirects) throw unavailable('result redirects are not available here');
    const callbackUrl = `${cfg.PUBLIC_BASE_URL.replace(/\/+$/, '')}${cfg.CALLBACK_PATH}/${app.key}`;
    const run = await this.run(app, req, origin, app.startApi, req.mode === 'realtime' ? '1' : undefined);
    const url = this.deps.webank.loginUrl(app, run.granted, run.nonce, { ...run.ids, callbackUrl });
    if (redirect) {
      // Without it the user would land on the wrong page: nobody gets this URL, the order ends here.
      await this.deps.redirects!.remember(app.appId, run.ids.orderNo, redirect.href).catch(async (err: Error) => {
        await markStartFailed(this.deps.db, run.orderId, 'start failed: the result page could not be stored', {
          step: 'redirect',
          error: err.name,
        });
        throw unavailable('could not store redirectUrl (Redis); retry shortly');
      });
    }
    await addStartStep(this.deps.db, run.orderId, 'start_url_issued', {
      domain: validDomain(app, run.granted.optimalDomain),
      expiresAt: run.nonce.expiresAt.toISOString(),
      redirect: redirect ? redirect.origin : null,
    });
    return { orderNo: run.ids.orderNo, h5faceId: run.granted.faceId, url, expiresAt: run.nonce.expiresAt };
  }

  /** App SDK: the NONCE-signed parameters the App passes to WeBank's SDK. */
  async startAppSdk(app: WebankApp, req: Omit<StartRequest, 'redirectUrl' | 'mode'>, origin: StartOrigin) {
    const run = await this.run(app, req, origin, app.sdkStartApi, undefined);
    const sdk = this.deps.webank.sdkParameters(app, run.granted, run.nonce, run.ids);
    await addStartStep(this.deps.db, run.orderId, 'start_sdk_issued', {
      expiresAt: run.nonce.expiresAt.toISOString(),
    });
    return { ...sdk, expiresAt: run.nonce.expiresAt };
  }

  private async run(
    app: WebankApp,
    req: StartRequest,
    origin: StartOrigin,
    api: WebankApp['startApi'] | WebankApp['sdkStartApi'],
    liveInterType: '1' | undefined,
  ) {
    const { cfg, db, webank } = this.deps;
    if (app.product === 'ocr') throw badRequest(`app ${app.key} is an OCR app: it starts no face verification`);
    if (!!req.name !== !!req.idNo) throw badRequest('name and idNo go together (both, or neither for 自带源比对)');
    // Before anything is recorded: without credentials there is nothing to start.
    const creds = await webank.credentials(app.appId).catch((err: unknown) => {
      throw credentialsMissing(err) ?? err;
    });
    const ids = { orderNo: req.orderNo ?? newNonce(32), userId: req.userId };
    const { created, order } = await registerExpectedOrder(db, cfg, app, { orderNo: ids.orderNo, userRef: req.userId });
    if (!created) throw conflict(`order ${ids.orderNo} already exists; start a new one with another orderNo`);
    const orderId = order.id;
    await addStartStep(db, orderId, 'start_requested', { via: origin.via, by: origin.by, api, mode: req.mode ?? null });

    let step: 'upload' | 'nonce_ticket' = 'upload';
    try {
      const identity = { ...ids, name: req.name, idNo: req.idNo, liveInterType };
      const granted = await webank.obtainFaceId(app, api, identity, creds.signTicket);
      const key = cfg.PII_STORAGE === 'keep' ? dataKey(cfg.DATA_ENCRYPTION_KEY) : undefined;
      await recordGrantedFaceId(
        db,
        orderId,
        {
          h5faceId: granted.faceId,
          idNoSealed: key && req.idNo ? seal(req.idNo, key) : null,
          nameSealed: key && req.name ? seal(req.name, key) : null,
        },
        { type: 'start_faceid', detail: { api, code: '0', bizSeqNo: granted.bizSeqNo ?? null } },
      );
      step = 'nonce_ticket';
      const nonce = await webank.nonceTicket(app, ids.userId, creds.token);
      await addStartStep(db, orderId, 'start_nonce_ticket', { code: '0', expiresAt: nonce.expiresAt.toISOString() });
      return { orderId, ids, granted, nonce };
    } catch (err) {
      throw await this.failed(app, orderId, step, creds, err);
    }
  }

  /** Ends the order FAILED with WeBank's code on the timeline, judges a refusal of our credentials, and says why. */
  private async failed(app: WebankApp, orderId: string, step: string, creds: StartCredentials, err: unknown) {
    const code = err instanceof WebankError ? err.code : undefined;
    const kind = (err as Error)?.name ?? 'Error';
    log.warn('verification start failed', { appId: app.appId, orderId, step, code, error: kind });
    await markStartFailed(this.deps.db, orderId, `start failed at ${step}: ${code ? `WeBank ${code}` : kind}`, {
      step,
      code: code ?? null,
      msg: err instanceof WebankError ? err.msg.slice(0, 100) : null,
      error: code ? null : kind,
    }).catch((e: Error) => log.warn('could not record a failed start', { orderId, error: e.message }));
    if (isSignatureRejection(err) && code) {
      const judged =
        step === 'upload'
          ? this.deps.conflicts.ticketRefused(app.appId, creds.signTicket, 'start', code)
          : this.deps.conflicts.tokenRefused(app.appId, creds.token.obtainedAt, 'start', code);
      await judged.catch((e: Error) => log.warn('could not judge refused credentials', { error: e.message }));
      return new AppError('credentials_refused', 503, 'WeBank refused our credentials; retry shortly', {
        step,
        webankCode: code,
      });
    }
    if (err instanceof WebankError)
      return new AppError('webank_refused', 502, `WeBank refused the start at ${step} (code ${code})`, {
        step,
        webankCode: code,
      });
    return new AppError('webank_unavailable', 503, `WeBank did not answer the ${step} step; retry shortly`, { step });
  }
}

function credentialsMissing(err: unknown): AppError | undefined {
  if (err instanceof NoValidTicketError || err instanceof NoCurrentTokenError)
    return new AppError(
      'credentials_unavailable',
      503,
      'no valid WeBank ticket or access_token is held yet (the ticket keeper fetches them); retry shortly',
    );
  return undefined;
}
