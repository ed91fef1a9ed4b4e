import type { Resource } from '@medplum/fhirtypes';
import { forbidden } from '../fhir/errors';
import type { WriteEvent } from '../kernel/request-context';
import { meetsConstraint } from './scope-constraints';
import { permissionFor, scopeGrant } from './scopes';

/**
 * A write under SMART v2 constrained scopes (`patient/Observation.cu?category=…|laboratory`) stays inside them:
 * what is created, and what an update or delete starts from and leaves, must meet one of the type's constrained
 * scopes for that letter. A whole-type scope needs no check; no scope at all was refused by the decision already.
 * 403 rather than 404: the app named the resource or sent it, and the scope, not consent, is what refuses it.
 */
export function assertWriteWithinScopes(scopes: readonly string[], event: WriteEvent): void {
  const letter = permissionFor(event.interaction);
  const grant = letter && scopeGrant(scopes, letter, event.resourceType);
  if (grant === 'all') return;
  const within = (resource: Resource | undefined) => resource !== undefined && (grant ?? []).some((c) => meetsConstraint(resource, c));
  const checked = event.interaction === 'create' ? [event.resource] : event.interaction === 'delete' ? [event.previous] : [event.previous, event.resource];
  if (!grant || !checked.every(within)) {
    throw forbidden(`The token's scopes grant ${event.interaction} of ${event.resourceType} only where their query holds, and this resource is outside it`);
  }
}
