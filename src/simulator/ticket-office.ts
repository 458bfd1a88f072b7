import { randomBytes } from 'node:crypto';

interface AccessToken {
  value: string;
  appId: string;
  expiresAt: number;
}

interface Ticket {
  value: string;
  issuedAt: number;
  /** When a newer ticket replaced it; it still verifies for the grace period after that. */
  supersededAt?: number;
  /** The latest expiry among the access_tokens that fetched it: the ticket dies with them. */
  tokenExpiresAt: number;
}

export interface TicketOfficeOptions {
  secrets: ReadonlyMap<string, string>;
  periodMs: number;
  graceMs: number;
  tokenTtlMs: number;
  tokenOverlapMs?: number;
  /** NONCE ticket lifetime; default 120 s ("有效期为120秒,且一次性有效"). */
  nonceTtlMs?: number;
  now?: () => number;
}

/** A NONCE ticket: one user, one use, 120 s, and no longer than the access_token that took it. */
interface NonceTicket {
  value: string;
  token: string;
  expiresAt: number;
  usedAt?: number;
}

/** Why a NONCE-signed login was refused: no ticket of the user signs it, or the one that does is used or dead. */
export type NonceRefusal = 'sign' | 'used' | 'expired';

export type TokenResult = { ok: true; token: string; expiresAt: number } | { ok: false; reason: 'credentials' };
export type TicketResult = { ok: true; ticket: string; expiresAt: number } | { ok: false; reason: 'token' };

const token = () => randomBytes(45).toString('base64url').slice(0, 60);
const ticketValue = () => randomBytes(48).toString('base64url').replace(/[-_]/g, 'x').slice(0, 64);

/**
 * Issues access_tokens and SIGN tickets and judges which tickets are valid, by elapsed time only:
 * a ticket is current until `periodMs` after it was issued (or a forced rotation), then verifies
 * for `graceMs` more; any ticket dies when every access_token that fetched it has expired.
 */
export class TicketOffice {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly tickets = new Map<string, Ticket[]>();
  private readonly nonces = new Map<string, NonceTicket[]>();
  private readonly now: () => number;

  constructor(private readonly opts: TicketOfficeOptions) {
    this.now = opts.now ?? Date.now;
  }

  knowsApp(appId: string): boolean {
    return this.opts.secrets.has(appId);
  }

  issueToken(appId: string, secret: string): TokenResult {
    const expected = this.opts.secrets.get(appId);
    if (expected === undefined || expected !== secret) return { ok: false, reason: 'credentials' };
    const now = this.now();
    if (this.opts.tokenOverlapMs !== undefined) {
      for (const t of this.tokens.values()) {
        if (t.appId === appId) t.expiresAt = Math.min(t.expiresAt, now + this.opts.tokenOverlapMs);
      }
    }
    this.pruneTokens(now);
    const issued: AccessToken = { value: token(), appId, expiresAt: now + this.opts.tokenTtlMs };
    this.tokens.set(issued.value, issued);
    return { ok: true, token: issued.value, expiresAt: issued.expiresAt };
  }

  /** The current SIGN ticket for an access_token, bound to that token's life. */
  ticketFor(appId: string, accessToken: string): TicketResult {
    const now = this.now();
    const t = this.tokens.get(accessToken);
    if (!t || t.appId !== appId || t.expiresAt <= now) return { ok: false, reason: 'token' };
    const current = this.current(appId, now, t.expiresAt);
    current.tokenExpiresAt = Math.max(current.tokenExpiresAt, t.expiresAt);
    return { ok: true, ticket: current.value, expiresAt: this.deathOf(current) };
  }

  /** The ticket valid now, creating one bound to an implicit token if there is none. */
  currentTicket(appId: string): string {
    if (!this.knowsApp(appId)) throw new Error(`unknown appId ${appId}`);
    const now = this.now();
    return this.current(appId, now, now + this.opts.tokenTtlMs).value;
  }

  /** Forces a rotation now; the superseded ticket keeps verifying for the grace period. */
  rotate(appId: string): void {
    if (!this.knowsApp(appId)) throw new Error(`unknown appId ${appId}`);
    const now = this.now();
    const list = this.tickets.get(appId) ?? [];
    const head = list[list.length - 1];
    const tokenExpiresAt = head && head.tokenExpiresAt > now ? head.tokenExpiresAt : now + this.opts.tokenTtlMs;
    this.push(appId, now, tokenExpiresAt);
  }

  /** A fresh NONCE ticket for (app, user_id), each call a new one. */
  issueNonce(appId: string, accessToken: string, userId: string): TicketResult {
    const now = this.now();
    const t = this.tokens.get(accessToken);
    if (!t || t.appId !== appId || t.expiresAt <= now) return { ok: false, reason: 'token' };
    const key = `${appId}\u0000${userId}`;
    // Used and dead tickets are kept ten minutes, to tell a reused or late login from a forged one.
    const list = (this.nonces.get(key) ?? []).filter((n) => n.expiresAt > now - 600_000);
    const issued = { value: ticketValue(), token: accessToken, expiresAt: now + (this.opts.nonceTtlMs ?? 120_000) };
    list.push(issued);
    this.nonces.set(key, list);
    return { ok: true, ticket: issued.value, expiresAt: Math.min(issued.expiresAt, t.expiresAt) };
  }

  /**
   * Uses up the user's NONCE ticket for which `signs(ticket)` holds. Every ticket of the user is
   * tried (all of them, whatever matches first); a live unused match wins, else the refusal says
   * whether the matching ticket was used, dead (expired, or its token died), or none matched.
   */
  redeemNonce(
    appId: string,
    userId: string,
    signs: (ticket: string) => boolean,
  ): { ok: true } | { ok: false; reason: NonceRefusal } {
    const now = this.now();
    let refusal: NonceRefusal = 'sign';
    let live: NonceTicket | undefined;
    for (const n of this.nonces.get(`${appId}\u0000${userId}`) ?? []) {
      if (!signs(n.value)) continue;
      const tokenAlive = (this.tokens.get(n.token)?.expiresAt ?? 0) > now;
      if (n.usedAt !== undefined) refusal = 'used';
      else if (n.expiresAt <= now || !tokenAlive) refusal = refusal === 'used' ? refusal : 'expired';
      else live ??= n;
    }
    if (!live) return { ok: false, reason: refusal };
    live.usedAt = now;
    return { ok: true };
  }

  /** The NONCE tickets issued for (app, user), newest last, for tests that check a NONCE-signed value. */
  nonceTicketsOf(appId: string, userId: string): { value: string; expiresAt: Date; used: boolean }[] {
    return (this.nonces.get(`${appId}\u0000${userId}`) ?? []).map((n) => ({
      value: n.value,
      expiresAt: new Date(n.expiresAt),
      used: n.usedAt !== undefined,
    }));
  }

  /** Ends every NONCE ticket of the app (or of all apps) now, so a test can open a link that has expired. */
  expireNonces(appId?: string): void {
    const now = this.now();
    for (const [key, list] of this.nonces) {
      if (appId === undefined || key.startsWith(`${appId}\u0000`))
        for (const n of list) n.expiresAt = Math.min(n.expiresAt, now);
    }
  }

  /** Tickets that verify a signature now, current first. */
  validTickets(appId: string): { value: string; label: 'current' | 'previous' }[] {
    const now = this.now();
    this.rollForward(appId, now);
    const list = this.tickets.get(appId) ?? [];
    return list
      .filter((t) => this.isValid(t, now))
      .reverse()
      .map((t) => ({ value: t.value, label: t.supersededAt === undefined ? 'current' : 'previous' }));
  }

  private current(appId: string, now: number, tokenExpiresAt: number): Ticket {
    this.rollForward(appId, now);
    const list = this.tickets.get(appId) ?? [];
    const head = list[list.length - 1];
    if (head && this.isValid(head, now)) return head;
    return this.push(appId, now, tokenExpiresAt);
  }

  /** Applies the periodic rotations that happened since the head ticket was issued. */
  private rollForward(appId: string, now: number): void {
    const list = this.tickets.get(appId);
    const head = list?.[list.length - 1];
    if (!head || head.supersededAt !== undefined) return;
    const periods = Math.floor((now - head.issuedAt) / this.opts.periodMs);
    if (periods < 1 || head.tokenExpiresAt <= now) return;
    const rotatedAt = head.issuedAt + this.opts.periodMs;
    this.push(appId, head.issuedAt + periods * this.opts.periodMs, head.tokenExpiresAt, rotatedAt);
  }

  private push(appId: string, issuedAt: number, tokenExpiresAt: number, supersedeAt = issuedAt): Ticket {
    const list = (this.tickets.get(appId) ?? []).filter((t) => this.isValid(t, this.now()));
    for (const t of list) t.supersededAt ??= supersedeAt;
    const fresh: Ticket = { value: ticketValue(), issuedAt, tokenExpiresAt };
    list.push(fresh);
    this.tickets.set(appId, list);
    return fresh;
  }

  private isValid(t: Ticket, now: number): boolean {
    if (t.tokenExpiresAt <= now) return false;
    return t.supersededAt === undefined || now < t.supersededAt + this.opts.graceMs;
  }

  /** When a ticket stops verifying if nothing forces a rotation. */
  private deathOf(t: Ticket): number {
    const end = (t.supersededAt ?? t.issuedAt + this.opts.periodMs) + this.opts.graceMs;
    return Math.min(end, t.tokenExpiresAt);
  }

  private pruneTokens(now: number): void {
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
  }
}
