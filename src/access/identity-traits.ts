import type { HumanName, Patient } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { forbidden } from '../fhir/errors';
import { INS_SYSTEMS, isAssuranceMaladie, isExcluded, type DmpActor } from './actor';
import { scopesAllow } from './scopes';
import { StateKey } from '../fhir/request-state';
import { birthPlaceCodesOf } from '../documents/birth-place';

/** Name uses that carry the identity matched on (birth name, official names), as opposed to a usual name or a nickname. */
export const IDENTITY_NAME_USES = ['official', 'maiden'];

/** The INS identifiers of a Patient, as `<system>|<value>`, sorted. */
export function insIdentifiers(patient: Patient | undefined): string[] {
  return (patient?.identifier ?? []).filter((i) => i.system && INS_SYSTEMS.includes(i.system)).map((i) => `${i.system}|${i.value ?? ''}`).sort();
}

/** True for a name the identity is matched on. */
export function isIdentityName(name: HumanName): boolean {
  return IDENTITY_NAME_USES.includes(name.use ?? '');
}

/**
 * Every identifier of a Patient other than the INS, as `<system>|<value>`, sorted. Documents and conditional references
 * find a record by any identifier it carries (`Patient?identifier=<system>|<value>`; a CDA without INS by its local
 * IPP, `../documents/patient-match.ts`), so each is a key to the record as much as the INS is.
 */
export function otherIdentifiers(patient: Patient | undefined): string[] {
  return (patient?.identifier ?? []).filter((i) => !(i.system && INS_SYSTEMS.includes(i.system))).map((i) => `${i.system ?? ''}|${i.value ?? ''}`).sort();
}

function identityNames(patient: Patient | undefined): string[] {
  return (patient?.name ?? [])
    .filter(isIdentityName)
    .map((n) => JSON.stringify([n.use, n.family ?? '', n.given ?? [], n.prefix ?? [], n.suffix ?? []]))
    .sort();
}

/** The identity traits (INS and other identifiers, birth date and place, gender, birth and official names) that differ between two versions. */
export function changedIdentityTraits(previous: Patient | undefined, next: Patient | undefined): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(insIdentifiers(previous), insIdentifiers(next))) changed.push('identifier (INS)');
  // Attack sweep 6: a patient who added the local identifier another person has at a hospital to his own record got
  // that person's documents, sent by the hospital's feeder by that identifier, filed in his record.
  if (!same(otherIdentifiers(previous), otherIdentifiers(next))) changed.push('identifier (other than the INS)');
  if ((previous?.birthDate ?? null) !== (next?.birthDate ?? null)) changed.push('birthDate');
  if ((previous?.gender ?? null) !== (next?.gender ?? null)) changed.push('gender');
  if (!same(identityNames(previous), identityNames(next))) changed.push('name (official / maiden)');
  // Documents are filed only where their birth place's INSEE code agrees with the record's (documents/birth-place.ts):
  // set freely, it would let a plain update make a record accept another person's documents, or refuse its own.
  if (!same(birthPlaceCodesOf(previous ?? {}), birthPlaceCodesOf(next ?? {}))) changed.push('birth place (INSEE code)');
  return changed;
}

/**
 * Identity traits of an existing record change only through the identity procedure (DESIGN §5 "Identity"): a plain
 * update or patch that touches them is refused (403), whoever asks, the patient included — a record that took
 * another person's INS, or his local identifier at a hospital, would receive that person's documents.
 */
export function assertIdentityKept(event: WriteEvent): void {
  if (event.resourceType !== 'Patient' || !event.previous || event.interaction === 'create' || event.interaction === 'delete') return;
  const changed = changedIdentityTraits(event.previous as Patient, event.resource as Patient);
  if (!changed.length) return;
  const error = forbidden(
    `The identity traits of Patient/${event.id} (${changed.join(', ')}) change only through the identity procedure: ` +
      `POST Patient/${event.id}/$update-identity, by an identity verifier or the Assurance Maladie`,
  );
  error.outcome.issue[0].details = {
    text: "L'identité du dossier (INS et autres identifiants, date et lieu de naissance, sexe, noms de naissance) ne change que par la procédure de vérification d'identité (professionnel habilité ou Assurance Maladie)",
  };
  throw error;
}

/** The operation's name as routed. */
export const UPDATE_IDENTITY = '$update-identity';
/** Key, in `ctx.state`, of the Patient id the identity procedure may write (the write rules let it through). */
export const IDENTITY_PROCEDURE_STATE = new StateKey<string>('access.identityProcedure');

/** Who may correct an identity: a practitioner with the `identity-verifier` role, or the Assurance Maladie. */
export function mayCorrectIdentity(actor: DmpActor): boolean {
  if (isExcluded(actor)) return false;
  return (actor.kind === 'practitioner' && actor.role === 'identity-verifier') || isAssuranceMaladie(actor);
}

/** Authorisation of `Patient/{id}/$update-identity`, before any data is touched (403 otherwise). */
export function assertMayCorrectIdentity(actor: DmpActor): void {
  if (!mayCorrectIdentity(actor)) {
    throw forbidden('Only an identity verifier (practitioner token with role identity-verifier) or the Assurance Maladie may correct the identity of a record');
  }
  // The procedure writes the Patient: the token must grant it (a verifier's read-only token changed an INS before,
  // attack sweep 5). The Assurance Maladie's tokens grant creation only (`system/*.c`): a Patient creation scope.
  const letter = isAssuranceMaladie(actor) ? 'c' : 'u';
  if (!scopesAllow(actor.scopes, letter, 'Patient')) throw forbidden(`The token's scopes do not grant ${letter === 'c' ? 'create' : 'update'} on Patient`);
}
