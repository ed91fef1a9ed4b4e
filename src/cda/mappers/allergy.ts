import type { AllergyIntolerance, CodeableConcept } from '@medplum/fhirtypes';
import { at, attr } from '../cda-node';
import { toCodeableConcept, toDateTimeOf } from '../datatypes';
import { extractedBase, isNegated } from '../mapping-context';
import type { XmlNode } from '../xml-tree';
import { relatedObservations } from './clinical-common';
import { statedClinicalStatus } from './clinical-status';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';

const ALLERGY_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.4.6', // IHE PCC Allergy and Intolerance
  '2.16.840.1.113883.10.20.22.4.7', // C-CDA Allergy - Intolerance Observation
  '2.16.840.1.113883.10.20.1.18', // CCD Alert observation
  '1.2.250.1.213.1.1.3.41', // CI-SIS FR-Allergie-ou-hypersensibilite
];
const CLINICAL_STATUS = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const VERIFICATION_STATUS = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

/** The allergy's clinical status from its status observation (active unless it says inactive or resolved). */
function clinicalStatusOf(statement: XmlNode): 'active' | 'inactive' | 'resolved' {
  const stated = statedClinicalStatus(statement);
  if (stated === 'resolved') return 'resolved';
  if (stated === 'inactive' || stated === 'remission') return 'inactive';
  return 'active';
}

/** Allergy/intolerance observation (usually inside a concern act) → AllergyIntolerance. */
export const allergyMapper: EntryMapper = {
  name: 'allergy',
  matches: (templateIds) => hasAnyTemplate(templateIds, ALLERGY_TEMPLATES),
  map(statement, location, ctx) {
    const refuted = isNegated(statement);
    const allergy: AllergyIntolerance = {
      resourceType: 'AllergyIntolerance',
      ...extractedBase(ctx, statement, location.path),
      clinicalStatus: refuted ? undefined : { coding: [{ system: CLINICAL_STATUS, code: clinicalStatusOf(statement) }] },
      verificationStatus: { coding: [{ system: VERIFICATION_STATUS, code: refuted ? 'refuted' : 'confirmed' }] },
      patient: ctx.patient,
    };
    if (!allergy.clinicalStatus) delete allergy.clinicalStatus;
    // Substance first; a value that is only narrative text keeps the allergy-type code beside that text.
    const value = toCodeableConcept(at(statement, 'value'));
    const type = toCodeableConcept(at(statement, 'code'));
    const substance =
      toCodeableConcept(at(statement, 'participant/participantRole/playingEntity/code')) ??
      (value?.coding ? value : undefined) ??
      (type || value ? { ...type, ...(value?.text ? { text: value.text } : {}) } : undefined);
    if (substance) allergy.code = substance;
    const onset = toDateTimeOf(at(statement, 'effectiveTime/low')) ?? toDateTimeOf(at(statement, 'effectiveTime'));
    if (onset) allergy.onsetDateTime = onset;
    const manifestations = relatedObservations(statement, 'MFST')
      .map((o) => toCodeableConcept(at(o, 'value')))
      .filter((c): c is CodeableConcept => !!c);
    if (manifestations.length) allergy.reaction = [{ manifestation: manifestations }];
    if (attr(at(statement, 'code'), 'code') === '419199007' || /allerg/i.test(attr(at(statement, 'code'), 'displayName') ?? '')) {
      allergy.type = 'allergy';
    }
    ctx.builder.add(allergy, ctx.builder.urnFor(`allergy:${location.path}`));
  },
};
