import type { AuthConfig } from './auth-config';

/** The `/.well-known/smart-configuration` document (SMART App Launch 2.x discovery) for this server. */
export function smartConfiguration(config: AuthConfig, baseUrl: string): Record<string, unknown> {
  const base = baseUrl.replace(/\/+$/, '');
  // Never advertise the development issuer unless it is trusted (DEV_AUTH=1); else our patient sign-in issuer.
  const issuer = config.issuers[0]?.issuer ?? (config.devAuth ? config.devIssuer : config.login.issuer);
  return {
    issuer,
    jwks_uri: config.issuers[0] && /^https?:/.test(config.issuers[0].jwks) ? config.issuers[0].jwks : `${base}/auth/jwks`,
    authorization_endpoint: `${base}/auth/login`,
    token_endpoint: `${base}/auth/otp`,
    grant_types_supported: ['client_credentials', 'urn:dmp:otp'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256'],
    scopes_supported: ['openid', 'fhirUser', 'patient/*.cruds', 'patient/*.rs', 'user/*.cruds', 'user/*.rs', 'user/DocumentReference.cruds', 'system/*.c', 'system/*.cruds'],
    response_types_supported: ['token'],
    capabilities: ['client-confidential-asymmetric', 'permission-v2', 'context-standalone-patient', 'sso-openid-connect'],
    code_challenge_methods_supported: ['S256'],
    // DMP extensions: break-glass is stated with these claims or headers.
    purpose_of_use: { claim: 'purpose_of_use', reason_claim: 'purpose_reason', headers: ['X-Purpose-Of-Use', 'X-Purpose-Reason'], values: ['BTG'] },
  };
}
