import { PORTAL_CLIENT_ID } from '../portal/client-id';
import { forbidden } from '../fhir/errors';
import type { DmpActor } from './actor';

/** The OAuth clients whose patient tokens may run the account's own procedures: this server's portal. */
const ACCOUNT_CLIENTS: readonly string[] = [PORTAL_CLIENT_ID];

/**
 * The account's credentials and the contacts its codes go to are the patient's own (or his guardian's): a token issued
 * to another application (`azp`) — one the patient let read, or even write, his record — does not set his password,
 * change or confirm where his codes go, nor choose where his notices go, whatever its scopes (403). His sign-in token (no `azp`) and the portal's do.
 * Why: with `$change-contact` + `$confirm-contact` an app chose the address that then received the reset and sign-in
 * codes, and with `PUT /auth/password` it replaced the password (attack sweep 5).
 */
export function assertAccountToken(actor: DmpActor, what: string): void {
  const client = typeof actor.claims?.azp === 'string' ? actor.claims.azp : undefined;
  if (client !== undefined && !ACCOUNT_CLIENTS.includes(client)) {
    throw forbidden(`An application's token does not ${what}: the patient does it himself, signed in on the DMP's own pages`);
  }
}
