import { advanceDirectiveMapper } from './advance-directive';
import { allergyMapper } from './allergy';
import { dispenseMapper } from './dispense';
import { encounterMapper } from './encounter';
import type { EntryMapper } from './entry-mapper';
import { immunizationMapper } from './immunization';
import { labBatteryMapper, labResultMapper } from './lab-result';
import { mediaMapper } from './media';
import { medicationMapper } from './medication';
import { problemMapper } from './problem';
import { procedureMapper } from './procedure';
import { socialHistoryMapper } from './social-history';
import { specimenCollectionMapper } from './specimen-collection';
import { vitalSignsMapper } from './vital-signs';
import type { XmlNode } from '../xml-tree';

/**
 * Entry mappers, most specific first: an IHE allergy also carries the generic problem-entry id, and a CCD
 * immunization the generic medication-activity id, so allergy precedes problem and immunization precedes medication.
 * Vital signs, social history and advance directives share the generic CCD result / IHE simple-observation ids with
 * lab results, so they come before the lab mappers.
 */
export const ENTRY_MAPPERS: readonly EntryMapper[] = [
  mediaMapper,
  immunizationMapper,
  medicationMapper,
  dispenseMapper,
  allergyMapper,
  problemMapper,
  procedureMapper,
  encounterMapper,
  vitalSignsMapper,
  socialHistoryMapper,
  advanceDirectiveMapper,
  specimenCollectionMapper,
  labBatteryMapper,
  labResultMapper,
];

/** The mapper for a clinical statement, decided on any of its templateIds. */
export function findMapper(templateIds: string[], statement: XmlNode): EntryMapper | undefined {
  return ENTRY_MAPPERS.find((m) => m.matches(templateIds, statement));
}
