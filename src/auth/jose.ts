// `jose` 6 is ESM-only. Node 20.19+ requires it natively; Jest transforms it (root jest.config.js).
export { SignJWT, createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, EncryptJWT, errors, exportJWK, generateKeyPair, importJWK, jwtDecrypt, jwtVerify } from 'jose';
export type { JWK, JWTPayload, JWTVerifyGetKey } from 'jose';
