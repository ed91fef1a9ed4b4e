import type { CodeableConcept, Observation } from '@medplum/fhirtypes';
import { at } from '../cda-node';
import { toCodeableConcept } from '../datatypes';
import type { XmlNode } from '../xml-tree';
import { hasAnyTemplate } from './entry-mapper';

/** XD-LAB / CI-SIS isolate organizers: the specimen participation names the organism grown, not a sample. */
const ISOLATE_TEMPLATES = ['1.3.6.1.4.1.19376.1.3.1.5', '1.2.250.1.213.1.1.3.79'];
/** LOINC 41852-5 "Microorganism or agent identified in Specimen": the isolate's code when the organizer has none. */
const ORGANISM_IDENTIFIED: CodeableConcept = {
  coding: [{ system: 'http://loinc.org', code: '41852-5', display: 'Microorganism or agent identified in Specimen' }],
};

/** True for an isolate organizer. */
export function isIsolate(templateIds: string[]): boolean {
  return hasAnyTemplate(templateIds, ISOLATE_TEMPLATES);
}

/** The organism an isolate organizer identifies (SNOMED CT, with its NCBI taxonomy translation …). */
export function isolateOrganism(organizer: XmlNode): CodeableConcept | undefined {
  return toCodeableConcept(at(organizer, 'specimen/specimenRole/specimenPlayingEntity/code'));
}

/**
 * Makes the isolate's Observation say which organism was identified: value = the organism, code = the organizer's
 * code or 41852-5. Its members (count, susceptibility battery) stay in `hasMember`; the organism is never a Specimen.
 */
export function describeIsolate(observation: Observation, organizer: XmlNode): void {
  const organism = isolateOrganism(organizer);
  if (!at(organizer, 'code') || observation.code.text === 'unknown') observation.code = ORGANISM_IDENTIFIED;
  if (organism) observation.valueCodeableConcept = organism;
}
