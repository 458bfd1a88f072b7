import type { HeldToken, TicketStore } from './ticket-store';

export type { HeldToken } from './ticket-store';

/**
 * The access_token the ticket keeper holds for an app, for the one thing a request path may do
 * with it: take a NONCE ticket. It never fetches a token: only the keeper does, on its schedule
 * and under its lock, because each new token WeBank issues leaves the previous one a minute.
 */
export interface CurrentToken {
  /** The newest valid token, or undefined (the caller answers 503 and the keeper fetches one). */
  get(appId: string): Promise<HeldToken | undefined>;
}

/** `CurrentToken` read from the ticket history in PostgreSQL, where the keeper saves it sealed. */
export class StoredCurrentToken implements CurrentToken {
  constructor(private readonly store: Pick<TicketStore, 'currentToken'>) {}

  get(appId: string): Promise<HeldToken | undefined> {
    return this.store.currentToken(appId);
  }
}
