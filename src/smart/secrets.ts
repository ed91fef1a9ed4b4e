import { createHash, randomBytes } from 'node:crypto';

/** A random secret (256 bits, base64url): codes, refresh tokens, browser bindings. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** What we store of a secret: its SHA-256, so a read of the table gives nobody a usable credential. */
export function digestOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
