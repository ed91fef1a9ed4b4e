import { FhirError, outcomeOf } from '../kernel/errors';

/** Seconds a client is told to wait before retrying while the database is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

// node-postgres and socket failures that mean "the database went away", not "the statement was wrong".
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const LOSS_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'terminating connection',
];

/**
 * Answers whether an error from the driver is a lost or refused connection: SQLSTATE class 08 (connection
 * exception), 57P01–57P03 (the server is shutting down, crashed or starting), a socket error, or the driver's own
 * "Connection terminated" family.
 */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || SOCKET_CODES.has(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return LOSS_MESSAGES.some((m) => message.includes(m));
}

/** The 503 a request gets when the database is unreachable: the client may retry; nothing was acknowledged. */
export function databaseUnavailable(): FhirError {
  // Honest about the one uncertain case: a COMMIT that reached the server just before its connection was cut.
  const text = 'The database is unavailable: the request was not acknowledged. Retry later (a conditional create, If-None-Exist, retries safely).';
  return new FhirError(503, outcomeOf('error', 'transient', text), { 'Retry-After': String(RETRY_AFTER_SECONDS) });
}

/** Answers whether PostgreSQL cancelled a statement (SQLSTATE 57014: `statement_timeout`, or a cancel request). */
export function isStatementTimeout(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { code?: unknown }).code === '57014';
}

/**
 * The 503 of a statement stopped by STATEMENT_TIMEOUT_MS. A 503 with Retry-After rather than a 4xx: the same
 * request may pass when the server is less loaded, and the request was rolled back whole.
 */
export function statementTimedOut(): FhirError {
  const text = 'The database stopped a statement of this request after STATEMENT_TIMEOUT_MS: nothing was written. Retry later, or ask for less (narrower search, smaller _count).';
  return new FhirError(503, outcomeOf('error', 'timeout', text), { 'Retry-After': String(RETRY_AFTER_SECONDS) });
}

/**
 * Answers whether PostgreSQL rolled the transaction back because of another one running at the same time: a deadlock
 * (40P01: two submissions naming the same new directory entries in opposite orders) or a serialization failure (40001).
 * Nothing of the request was written, and the same request may pass when run again.
 */
export function isConcurrencyConflict(err: unknown): boolean {
  const code = !!err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** The 503 of a transaction PostgreSQL chose to roll back for a concurrent one: a retry, not a 500 with nothing to do. */
export function concurrencyConflict(): FhirError {
  const text = 'A concurrent write on the same data made the database roll this request back: nothing was written. Retry it.';
  return new FhirError(503, outcomeOf('error', 'transient', text), { 'Retry-After': '1' });
}

/** Rethrows a connection loss, a statement timeout or a concurrency conflict as its 503 FhirError, any other error as it is. */
export function rethrowAsUnavailable(err: unknown): never {
  if (isStatementTimeout(err)) throw statementTimedOut();
  if (isConcurrencyConflict(err)) throw concurrencyConflict();
  throw isConnectionLoss(err) ? databaseUnavailable() : err;
}
