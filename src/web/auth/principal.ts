import type { Request } from 'express';
import type { Role } from '../../shared/compliance/staff/roles';

/** A staff member on a request, from a session cookie or a staff API token. */
export interface StaffPrincipal {
  via: 'session' | 'token';
  userId: string;
  username: string;
  role: Role;
  /** The app keys the account may see; empty = every app (see compliance/staff/app-scope). */
  appKeys: readonly string[];
  /** The audit actor: `user:<username>`. */
  actor: string;
  /** Session requests only: the synchronizer token state-changing requests must echo. */
  csrfToken?: string;
  sessionIdHash?: string;
  tokenId?: string;
  /** Token requests: who issued the token (named on every audit row it causes). */
  tokenIssuedBy?: string | null;
}

/** A partner backend authenticated by a partner API token. */
export interface PartnerPrincipal {
  tokenId: string;
  name: string;
  /** The configured app key the token is restricted to; null = every app. */
  appKey: string | null;
  /** Extra grants: `pii` lets the read API return personal fields. */
  scopes: readonly string[];
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      staff?: StaffPrincipal;
      partner?: PartnerPrincipal;
    }
  }
}

/** Where a request came from, for the audit trail (IP per the app's trust-proxy setting). */
export function requestContext(req: Request): { ip: string | null; userAgent: string | null } {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 300) ?? null };
}

/** The audit actor and role of whoever made the request, and the staff token used if any. */
export function actorOf(staff: StaffPrincipal | undefined): {
  actor: string;
  actorRole: string | null;
  token: { id: string; issuedBy: string | null } | null;
} {
  if (!staff) return { actor: 'anonymous', actorRole: null, token: null };
  return {
    actor: staff.actor,
    actorRole: staff.role,
    token: staff.tokenId ? { id: staff.tokenId, issuedBy: staff.tokenIssuedBy ?? null } : null,
  };
}
