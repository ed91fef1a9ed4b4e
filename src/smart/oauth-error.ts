import type { Response } from 'express';

/** RFC 6749 §5.2 error codes (and RFC 7009's unsupported_token_type, §4.1.2.1's temporarily_unavailable). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'temporarily_unavailable';

/** An OAuth refusal: answered as `{ error, error_description }` JSON, never as a FHIR OperationOutcome. */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status = code === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
  }
}

export const oauthError = (code: OAuthErrorCode, description: string): OAuthError => new OAuthError(code, description);

/** Writes an OAuth error response (RFC 6749 §5.2); anything unexpected is a server fault and rethrown. */
export function sendOAuthError(res: Response, err: unknown): void {
  if (!(err instanceof OAuthError)) throw err;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  // invalid_client on a 401 carries a challenge (RFC 6749 §5.2); we take no client secrets, so no Basic realm.
  if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="dmp-fhir", error="invalid_client"');
  res.status(err.status).json({ error: err.code, error_description: err.description });
}
