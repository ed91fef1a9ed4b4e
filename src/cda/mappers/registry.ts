import { allergyMapper } from './allergy';
import type { EntryMapper } from './entry-mapper';
import { immunizationMapper } from './immunization';
import { labBatteryMapper, labResultMapper } from './lab-result';
import { mediaMapper } from './media';
import { medicationMapper } from './medication';
import { problemMapper } from './problem';
import type { XmlNode } from '../xml-tree';

/**
 * Entry mappers, most specific first: an IHE allergy also carries the generic problem-entry id, and a CCD
 * immunization the generic medication-activity id, so allergy precedes problem and immunization precedes medication.
 */
export const ENTRY_MAPPERS: readonly EntryMapper[] = [
  mediaMapper,
  immunizationMapper,
  medicationMapper,
  allergyMapper,
  problemMapper,
  labBatteryMapper,
  labResultMapper,
];

/** The mapper for a clinical statement, decided on any of its templateIds. */
export function findMapper(templateIds: string[], statement: XmlNode): EntryMapper | undefined {
  return ENTRY_MAPPERS.find((m) => m.matches(templateIds, statement));
}
