import type { SystemRepository } from '../system/system-repository';
import { issueCode, linkCodeFamily, redeemCode, type CodeGrant } from './authorization-codes';
import { advanceAuthorization, closeAuthorization, loadAuthorization, openAuthorization } from './authorization-requests';
import { rememberJti } from './client-auth';
import { recordChoices } from './record-choices';
import { refreshTokenClient, revokeByToken, revokeFamily, revokeGrant, rotateRefreshToken, startFamily } from './refresh-tokens';
import { endSignInSession, isSignInSessionEnded, openSignInSession, useSignInSession } from './sign-in-sessions';

// The SMART routes face the Internet: they hold this store, never a database connection, so what they can do to the
// database is exactly its methods (test/unit/architecture/internet-routes.test.ts). Each method is the module
// function of the same name bound to the system repository the SMART wiring gave (the authorization server's tables
// are system work: no actor exists yet), never a raw connection.

/** A function of the SMART tables with its connection already bound. */
type Bound<F> = F extends (db: never, ...args: infer A) => infer R ? (...args: A) => R : never;

/** What a code exchange may do inside the transaction that burns the code (a refusal must still commit the burn). */
export interface CodeExchange {
  redeemCode: Bound<typeof redeemCode>;
  revokeFamily: Bound<typeof revokeFamily>;
  startFamily: Bound<typeof startFamily>;
  linkCodeFamily: Bound<typeof linkCodeFamily>;
}

/** The authorization server's tables: pending authorizations, codes, refresh-token families, assertion ids. */
export interface SmartStore {
  openAuthorization: Bound<typeof openAuthorization>;
  loadAuthorization: Bound<typeof loadAuthorization>;
  advanceAuthorization: Bound<typeof advanceAuthorization>;
  closeAuthorization: Bound<typeof closeAuthorization>;
  /** The records a signed-in person may open through an app (his own, his minor children's). */
  recordChoices: Bound<typeof recordChoices>;
  /** Issues a single-use code in its own transaction. */
  issueCode(grant: CodeGrant, o: { now: Date; ttl: number }): Promise<string>;
  /** Runs a code exchange in one transaction. */
  exchangeCode<T>(fn: (x: CodeExchange) => Promise<T>): Promise<T>;
  rotateRefreshToken: Bound<typeof rotateRefreshToken>;
  /** The client a refresh token was issued to (a public client's refresh names no client). */
  refreshTokenClient: Bound<typeof refreshTokenClient>;
  revokeByToken: Bound<typeof revokeByToken>;
  /** Revokes the grant an access token presented at /auth/revoke or /auth/logout names (its family, its tokens). */
  revokeGrant: Bound<typeof revokeGrant>;
  rememberJti: Bound<typeof rememberJti>;
  /** The sign-in sessions that spare a signed-in person the password and code (guardian switch). */
  openSignInSession: Bound<typeof openSignInSession>;
  useSignInSession: Bound<typeof useSignInSession>;
  endSignInSession: Bound<typeof endSignInSession>;
  isSignInSessionEnded: Bound<typeof isSignInSessionEnded>;
}

/** Binds the SMART tables' functions to the system repository (called by the SMART wiring only). */
export function createSmartStore(system: SystemRepository): SmartStore {
  return {
    openAuthorization: (...a) => openAuthorization(system, ...a),
    loadAuthorization: (...a) => loadAuthorization(system, ...a),
    advanceAuthorization: (...a) => advanceAuthorization(system, ...a),
    closeAuthorization: (...a) => closeAuthorization(system, ...a),
    recordChoices: (...a) => recordChoices(system, ...a),
    issueCode: (grant, o) => system.transaction((tx) => issueCode(tx, grant, o)),
    exchangeCode: (fn) => system.transaction((tx) => fn({
      redeemCode: (...a) => redeemCode(tx, ...a),
      revokeFamily: (...a) => revokeFamily(tx, ...a),
      startFamily: (...a) => startFamily(tx, ...a),
      linkCodeFamily: (...a) => linkCodeFamily(tx, ...a),
    })),
    rotateRefreshToken: (...a) => rotateRefreshToken(system, ...a),
    refreshTokenClient: (...a) => refreshTokenClient(system, ...a),
    revokeByToken: (...a) => revokeByToken(system, ...a),
    revokeGrant: (...a) => revokeGrant(system, ...a),
    rememberJti: (...a) => rememberJti(system, ...a),
    openSignInSession: (...a) => openSignInSession(system, ...a),
    useSignInSession: (...a) => useSignInSession(system, ...a),
    endSignInSession: (...a) => endSignInSession(system, ...a),
    isSignInSessionEnded: (...a) => isSignInSessionEnded(system, ...a),
  };
}
