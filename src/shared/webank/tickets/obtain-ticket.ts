import type { WebankClient } from '../client';

/** What the keeper needs from WeBank; WebankClient in production. */
export type TicketSource = Pick<WebankClient, 'getAccessToken' | 'getSignTicket'>;

export interface ObtainedTicket {
  value: string;
  /** When we asked for it: validity is counted from here, never from WeBank's expire_time. */
  obtainedAt: Date;
  expireInSeconds: number;
  /** The access_token that fetched it (secret: sealed at rest, never logged); NONCE tickets need it. */
  token: { value: string; validUntil: Date };
}

/**
 * WeBank's two steps, always together (a fresh access_token, then its SIGN ticket). The ticket
 * is held valid for its expire_in counted from before the request, and never longer than the
 * access_token lives: when the token expires, its tickets die with it.
 */
export async function obtainSignTicket(client: TicketSource, appId: string, secret: string): Promise<ObtainedTicket> {
  const tokenAskedAt = Date.now();
  const token = await client.getAccessToken(appId, secret);
  const obtainedAt = new Date();
  const ticket = await client.getSignTicket(appId, token.accessToken);
  const tokenLeft = token.expireIn - (obtainedAt.getTime() - tokenAskedAt) / 1000;
  return {
    value: ticket.value,
    obtainedAt,
    expireInSeconds: Math.min(ticket.expireIn, tokenLeft),
    token: { value: token.accessToken, validUntil: new Date(tokenAskedAt + token.expireIn * 1000) },
  };
}
