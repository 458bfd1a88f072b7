import type { Product } from '../shared/platform/config';
import type { Metrics } from '../shared/platform/metrics';
import {
  WebankClient,
  type OpenQuery,
  type QueryAnswer,
  type QueryParams,
  type WebankClientOptions,
} from '../shared/webank/client';
import { WebankFailure } from '../shared/webank/errors';

const COUNTED = Symbol('faceid.webank.counted');

/**
 * The metrics label for a failed WeBank call: WeBank's own code, or the kind of transport failure.
 * Bounded: codes are clipped, nothing from the request goes in.
 */
export function webankErrorCode(err: unknown): string {
  return err instanceof WebankFailure ? err.label : 'other';
}

/**
 * The WeBank client of the worker, reporting latency and failures of the calls the archiver does
 * not time itself: the ticket keeper's access_token / api_ticket calls (whose failures are also
 * `faceid_ticket_refresh_failures_total`), the recovery sweeper's buffered queries, and transport
 * failures of the archiver's streamed queries (their latency and answer codes are recorded in
 * archive-evidence.ts).
 */
export class InstrumentedWebankClient extends WebankClient {
  constructor(
    opts: WebankClientOptions,
    private readonly metrics: Metrics,
  ) {
    super(opts);
  }

  override getAccessToken(appId: string, secret: string) {
    return this.ticketStep(appId, '/api/oauth2/access_token', () => super.getAccessToken(appId, secret));
  }

  override getSignTicket(appId: string, accessToken: string) {
    return this.ticketStep(appId, '/api/oauth2/api_ticket', () => super.getSignTicket(appId, accessToken));
  }

  override async openQuery(product: Product, p: QueryParams): Promise<OpenQuery> {
    try {
      return await super.openQuery(product, p);
    } catch (err) {
      this.countError(this.queryPath(p.appId, product), err);
      throw err;
    }
  }

  override async queryJson(product: Product, p: QueryParams): Promise<QueryAnswer> {
    const endpoint = this.queryPath(p.appId, product);
    const started = performance.now();
    try {
      return await super.queryJson(product, p);
    } catch (err) {
      this.countError(endpoint, err);
      throw err;
    } finally {
      this.metrics.webankSeconds.observe({ endpoint }, (performance.now() - started) / 1000);
    }
  }

  private async ticketStep<T>(appId: string, endpoint: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } catch (err) {
      this.countError(endpoint, err);
      // Token and ticket are fetched together: either failing is one failed refresh.
      this.metrics.ticketRefreshFailures.inc({ app: appId });
      throw err;
    } finally {
      this.metrics.webankSeconds.observe({ endpoint }, (performance.now() - started) / 1000);
    }
  }

  /** Counts an error once, even when it passes through openQuery and then queryJson. */
  private countError(endpoint: string, err: unknown): void {
    if (err && typeof err === 'object') {
      if ((err as Record<symbol, unknown>)[COUNTED]) return;
      Object.defineProperty(err, COUNTED, { value: true });
    }
    this.metrics.webankErrors.inc({ endpoint, code: webankErrorCode(err) });
  }
}
