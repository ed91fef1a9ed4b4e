import type { MappingContext, EntryLocation } from '../mapping-context';
import type { XmlNode } from '../xml-tree';

/** One kind of CDA entry (clinical statement) and how it becomes FHIR resources. */
export interface EntryMapper {
  /** Short name, used in warnings and tests. */
  name: string;
  /** Decides on ANY of the statement's templateIds (CCD, IHE PCC, C-CDA and French ids coexist). */
  matches(templateIds: string[], statement: XmlNode): boolean;
  /**
   * True for the mappers of what is asked for or intended (prescriptions): the only ones applied in a plan-of-care
   * section, where an act, an encounter or an observation is planned even when its mood says otherwise.
   */
  representsIntent?: boolean;
  /**
   * True for the mappers whose resource can say "stated with uncertainty" (`uncertaintyCode="U"`: Condition and
   * AllergyIntolerance `verificationStatus` unconfirmed). Any other uncertain statement is not represented.
   */
  readsUncertainty?: boolean;
  /**
   * The moods (`moodCode`) of the statements it represents; EVN (an act done, an observation made) when absent. An
   * intended, requested, proposed or goal statement (INT, RQO, PRP, GOL …) is not the act done that a mapper of
   * events makes of it.
   */
  moods?: readonly string[];
  /** Adds the statement's resources to the bundle. */
  map(statement: XmlNode, location: EntryLocation, ctx: MappingContext): void;
}

/** The moods of a mapper that says none: the statement reports what happened. */
export const EVENT_MOODS: readonly string[] = ['EVN'];

/** The statement's mood: `moodCode`, EVN when absent (the CDA default reading of a statement in a record). */
export function moodOf(statement: XmlNode): string {
  return statement.attrs.moodCode?.trim() || 'EVN';
}

/** True when one of the statement's templateIds is in the list. */
export function hasAnyTemplate(templateIds: string[], wanted: readonly string[]): boolean {
  return templateIds.some((t) => wanted.includes(t));
}

/** CDA clinical statements (the choice of `entry` and `entryRelationship`): what is represented, or reported unmapped. */
export const CLINICAL_STATEMENTS: ReadonlySet<string> = new Set([
  'observation', 'act', 'organizer', 'substanceAdministration', 'supply', 'procedure', 'encounter', 'observationMedia', 'regionOfInterest',
]);
