import type { OrganisationCategory } from '../access/actor';

/**
 * Whom a SMART grant is about: the patient himself, a guardian acting on a child's record (his RelatedPerson
 * names him; the access module checks the link at every request), or a backend client's configured actor.
 */
export type GrantSubject =
  | { kind: 'patient'; patient: string }
  | { kind: 'guardian'; patient: string; relatedPerson: string }
  | { kind: 'system'; id: string; category?: OrganisationCategory };

/** The FHIR user (`fhirUser`) of a subject, relative to the FHIR base; none for a system. */
export function fhirUserOf(subject: GrantSubject): string | undefined {
  if (subject.kind === 'patient') return `Patient/${subject.patient}`;
  if (subject.kind === 'guardian') return `RelatedPerson/${subject.relatedPerson}`;
  return undefined;
}

/** The patient in context (the token response's `patient`), if any. */
export function patientOf(subject: GrantSubject): string | undefined {
  return subject.kind === 'system' ? undefined : subject.patient;
}
