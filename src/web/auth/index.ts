/** Staff and partner authentication: sessions, CSRF, roles, API tokens. */
export {
  createAuth,
  assertPartnerApp,
  partnerMayUseApp,
  csrfRejected,
  type Auth,
  type AuthDeps,
  type RequireStaffOptions,
} from './middleware';
export { login, type LoginResult } from './login';
export { startSession, loadSession, endSession, SESSION_COOKIE } from './sessions';
export { csrfOk, issueLoginCsrf, loginCsrfOk, CSRF_FIELD, CSRF_HEADER } from './csrf';
export {
  createApiToken,
  revokeApiToken,
  listApiTokens,
  findActiveToken,
  hashToken,
  TOKEN_PREFIX,
  type TokenInfo,
} from '../../shared/compliance/staff/api-tokens';
export { requestContext, actorOf, type StaffPrincipal, type PartnerPrincipal } from './principal';
