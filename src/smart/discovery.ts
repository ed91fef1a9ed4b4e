import type { Express, Request } from 'express';
import { ASSERTION_ALGORITHMS } from './client-auth';
import { baseOf, type SmartDeps } from './smart-deps';

/**
 * The constrained scope listed is an example of the grammar enforced (access/scope-constraints.ts: token parameters
 * of a clinical type, `system|code` or `code`, ANDed with `&`); every listed scope is one the server grants.
 */
const SCOPES = [
  'openid', 'fhirUser', 'launch/patient', 'offline_access', 'patient/*.rs', 'patient/*.cruds', 'patient/*.read',
  'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', 'system/*.c', 'system/*.cruds',
];

/**
 * `/.well-known/smart-configuration` (SMART App Launch 2.x §2.0.3): every endpoint and capability listed works,
 * through the routes of this folder; nothing is listed that does not (no EHR launch, no client secrets,
 * no introspection).
 */
export function smartConfiguration(base: string): Record<string, unknown> {
  return {
    issuer: base,
    jwks_uri: `${base}/auth/jwks`,
    authorization_endpoint: `${base}/auth/authorize`,
    token_endpoint: `${base}/auth/token`,
    revocation_endpoint: `${base}/auth/revoke`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    scopes_supported: SCOPES,
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-standalone',
      'authorize-post',
      'client-public',
      'client-confidential-asymmetric',
      'context-standalone-patient',
      'permission-offline',
      'permission-patient',
      'permission-v1',
      'permission-v2',
      'sso-openid-connect',
    ],
    // DMP extension: break-glass is stated with these claims or headers.
    purpose_of_use: { claim: 'purpose_of_use', reason_claim: 'purpose_reason', headers: ['X-Purpose-Of-Use', 'X-Purpose-Reason'], values: ['BTG'] },
  };
}

/** `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3) for the id_token of patient launches. */
export function openidConfiguration(base: string): Record<string, unknown> {
  return {
    issuer: base,
    authorization_endpoint: `${base}/auth/authorize`,
    token_endpoint: `${base}/auth/token`,
    revocation_endpoint: `${base}/auth/revoke`,
    jwks_uri: `${base}/auth/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    code_challenge_methods_supported: ['S256'],
    scopes_supported: SCOPES,
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'amr', 'fhirUser'],
    // OpenID Connect "Initiating User Registration" §4.1 names this list; `none` always answers interaction_required.
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
  };
}

/** Mounts both discovery documents, at the root and under the FHIR base (apps look in either). */
export function mountDiscovery(app: Express, deps: Pick<SmartDeps, 'baseUrl' | 'fhirBasePath'>): void {
  const smart = (req: Request, res: import('express').Response) => void res.json(smartConfiguration(baseOf(req, deps)));
  const openid = (req: Request, res: import('express').Response) => void res.json(openidConfiguration(baseOf(req, deps)));
  for (const prefix of ['', ...(deps.fhirBasePath ? [deps.fhirBasePath] : [])]) {
    app.get(`${prefix}/.well-known/smart-configuration`, smart);
    app.get(`${prefix}/.well-known/openid-configuration`, openid);
  }
}
