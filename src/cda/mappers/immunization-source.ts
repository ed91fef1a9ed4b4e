import type { CodeableConcept, Immunization } from '@medplum/fhirtypes';
import { all, at, attr, childrenNamed } from '../cda-node';
import { identifierKey, toIdentifier } from '../datatypes';
import type { EntryLocation, MappingContext } from '../mapping-context';
import type { XmlNode } from '../xml-tree';

/** HL7 immunization-origin: where a record not made by the vaccinator comes from. */
const ORIGIN_SYSTEM = 'http://terminology.hl7.org/CodeSystem/immunization-origin';
const RECALL: CodeableConcept = { coding: [{ system: ORIGIN_SYSTEM, code: 'recall', display: 'Parent/Guardian/Patient Recall' }] };
const OTHER_PROVIDER: CodeableConcept = { coding: [{ system: ORIGIN_SYSTEM, code: 'provider', display: 'Other Provider' }] };

/**
 * `Immunization.primarySource` and `reportOrigin` from what the vaccination entry states (R4: primarySource 0..1, "the
 * record was captured by whoever was responsible for giving the vaccine"). Every vaccination was `primarySource: true`,
 * a vaccination the patient declared from memory or an old carnet too. Read, in this order:
 * - an informant of the entry or its section who is the patient or one of his relations (`relatedEntity`, or a person
 *   carrying a recordTarget id), or a recorder who is the patient (the entry's author, else its section's, else the
 *   document's: a record the patient keeps himself) → false, origin `recall`;
 * - a recorder who is the performer, or of the performer's organisation, with every informant being the performer →
 *   true (the vaccinator wrote it down: the VAC note of the doctor who vaccinated);
 * - an informant who is another professional than the performer → false, origin `provider`;
 * - otherwise (no performer, a recorder other than the performer and no informant: a summary copying the history)
 *   nothing is stated: no primarySource, never a `true` the document does not say.
 * The header's informants are not read: the CI-SIS puts the emergency contact and the trusted person there, who are not
 * the source of the vaccinations.
 */
export function addPrimarySource(immunization: Immunization, statement: XmlNode, location: EntryLocation, ctx: MappingContext): void {
  const patient = new Set(ctx.patientIdentifiers.map(identifierKey));
  const isPatient = (entity: XmlNode | undefined) => idsOf(entity).some((id) => patient.has(id));
  const informants = [...childrenNamed(statement, 'informant'), ...childrenNamed(location.section, 'informant')];
  const recorder = at(statement, 'author/assignedAuthor') ?? at(location.section, 'author/assignedAuthor') ?? ctx.documentAuthor;
  const fromPatientSide = informants.some((i) => at(i, 'relatedEntity') || isPatient(at(i, 'assignedEntity'))) || isPatient(recorder);
  if (fromPatientSide) {
    Object.assign(immunization, { primarySource: false, reportOrigin: RECALL });
    return;
  }
  const performers = all(statement, 'performer/assignedEntity');
  const performerIds = new Set(performers.flatMap((p) => idsOf(p)));
  const performerOrgs = new Set(performers.flatMap((p) => idsOf(at(p, 'representedOrganization'))));
  const isPerformer = (entity: XmlNode | undefined) => idsOf(entity).some((id) => performerIds.has(id));
  const professionals = informants.map((i) => at(i, 'assignedEntity')).filter((e): e is XmlNode => !!e);
  const recordedByVaccinator = isPerformer(recorder) || idsOf(at(recorder, 'representedOrganization')).some((id) => performerOrgs.has(id));
  if (recordedByVaccinator && professionals.every(isPerformer) && professionals.length === informants.length) {
    immunization.primarySource = true;
  } else if (professionals.some((p) => !isPerformer(p))) {
    Object.assign(immunization, { primarySource: false, reportOrigin: OTHER_PROVIDER });
  }
}

/** `system|value` of each identified `id` of an entity (a root alone, or a nullFlavor, identifies no one). */
function idsOf(entity: XmlNode | undefined): string[] {
  return childrenNamed(entity, 'id')
    .filter((id) => attr(id, 'extension') !== undefined)
    .map((id) => toIdentifier(id))
    .filter((id): id is NonNullable<typeof id> => !!id)
    .map(identifierKey);
}
