// `jose` 6 is ESM-only. Node 20.19+ requires it natively; Jest needs it transformed (see test/unit/auth/jest.config.js).
export { SignJWT, createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
export type { JWK, JWTPayload, JWTVerifyGetKey } from 'jose';
