import { advanceDirectiveMapper } from './advance-directive';
import { allergyMapper } from './allergy';
import { dispenseMapper } from './dispense';
import { encounterMapper } from './encounter';
import { EVENT_MOODS, hasAnyTemplate, moodOf, type EntryMapper } from './entry-mapper';
import { immunizationMapper } from './immunization';
import { labBatteryMapper, labResultMapper } from './lab-result';
import { mediaMapper } from './media';
import { medicationMapper } from './medication';
import { pregnancyMapper } from './pregnancy';
import { prescriptionMapper } from './prescription';
import { problemMapper } from './problem';
import { procedureMapper } from './procedure';
import { socialHistoryMapper } from './social-history';
import { specimenCollectionMapper } from './specimen-collection';
import { vitalSignsMapper } from './vital-signs';
import { at, attr, templateIds } from '../cda-node';
import type { XmlNode } from '../xml-tree';

/**
 * Entry mappers, most specific first: an IHE allergy also carries the generic problem-entry id, and a CCD
 * immunization the generic medication-activity id, so allergy precedes problem and immunization precedes medication; a medication activity in a request mood is a
 * prescription, so the prescription mapper precedes the medication mapper.
 * Vital signs, social history, pregnancy observations and advance directives share the generic CCD result / IHE simple-observation ids with
 * lab results, so they come before the lab mappers.
 */
export const ENTRY_MAPPERS: readonly EntryMapper[] = [
  mediaMapper,
  immunizationMapper,
  prescriptionMapper,
  medicationMapper,
  dispenseMapper,
  allergyMapper,
  problemMapper,
  procedureMapper,
  encounterMapper,
  vitalSignsMapper,
  socialHistoryMapper,
  pregnancyMapper,
  advanceDirectiveMapper,
  specimenCollectionMapper,
  labBatteryMapper,
  labResultMapper,
];

/**
 * Plan-of-care sections (CCD Care Plan, IHE PCC Care Plan, CI-SIS FR-Plan-de-soins, C-CDA Plan of Treatment) and their
 * LOINC code (18776-5 "Plan of care note", CI-SIS "Plan de soins" / "Suites à donner").
 */
const PLAN_SECTION_TEMPLATES = ['2.16.840.1.113883.10.20.1.10', '1.3.6.1.4.1.19376.1.5.3.1.3.36', '1.2.250.1.213.1.1.2.158', '2.16.840.1.113883.10.20.22.2.10'];
const PLAN_SECTION_CODES = ['18776-5'];

/** True when the section holds what is planned, not what was done. */
export function isPlanSection(section: XmlNode): boolean {
  return hasAnyTemplate(templateIds(section), PLAN_SECTION_TEMPLATES) || PLAN_SECTION_CODES.includes(attr(at(section, 'code'), 'code') ?? '');
}

/**
 * The mapper for a clinical statement, decided on any of its templateIds. In a plan-of-care section only the mappers of
 * intentions apply: the IPS-FR example files a planned act ("date envisagée") in EVN mood there, and a planned act is not
 * a procedure done; what no such mapper takes is reported as unmapped.
 */
export function findMapper(templateIds: string[], statement: XmlNode, inPlanSection = false): EntryMapper | undefined {
  const mood = moodOf(statement);
  return ENTRY_MAPPERS.find((m) => (!inPlanSection || m.representsIntent) && (m.moods ?? EVENT_MOODS).includes(mood) && m.matches(templateIds, statement));
}

/**
 * The mapper that would take the statement were it an event: a planned vaccination (C-CDA Immunization Activity in
 * INT mood), a goal weight (GOL), a requested test (RQO) carry the templates of what is done. Such a statement is
 * neither mapped as done nor opened (its parts are planned too): it is reported and said in a warning.
 */
export function eventMapperIgnoringMood(templateIds: string[], statement: XmlNode): EntryMapper | undefined {
  const asEvent = { ...statement, attrs: { ...statement.attrs, moodCode: 'EVN' } };
  return ENTRY_MAPPERS.find((m) => (m.moods ?? EVENT_MOODS).includes('EVN') && m.matches(templateIds, asEvent));
}
