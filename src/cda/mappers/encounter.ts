import type { CodeableConcept, Coding, Encounter } from '@medplum/fhirtypes';
import { all, at, attr, childrenNamed } from '../cda-node';
import { toCodeableConcept, toCoding, toDateTimeOf, toPeriod } from '../datatypes';
import { extractedBase, isNegated } from '../mapping-context';
import { addOrganization } from '../header/participants';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';

/** Encounter entries: CCD, IHE PCC, CI-SIS FR-Rencontre, C-CDA Encounter Activity. */
const ENCOUNTER_TEMPLATES = ['2.16.840.1.113883.10.20.1.21', '1.3.6.1.4.1.19376.1.5.3.1.4.14', '1.2.250.1.213.1.1.3.58', '2.16.840.1.113883.10.20.22.4.49'];
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
/** `Encounter.class` is required: when the document's code is not an ActCode class, the class is unknown, not guessed. */
const UNKNOWN_CLASS: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' };

/**
 * An encounter that took place (a hospital stay of the care history, a consultation) → Encounter (status: `encounterStatus`) with its
 * class (ActCode IMP, AMB, EMER … when the code is one), its types (the code and its qualifiers: GHS stay group …),
 * period and the organisation that provided it. A planned encounter (INT/ARQ, follow-up) is not one that took place.
 */
export const encounterMapper: EntryMapper = {
  name: 'encounter',
  matches: (ids, node) => node.name === 'encounter' && hasAnyTemplate(ids, ENCOUNTER_TEMPLATES) && (attr(node, 'moodCode') ?? 'EVN') === 'EVN',
  map(statement, location, ctx) {
    if (isNegated(statement)) {
      ctx.warnings.push(`Entry ${location.path}: negated encounter; not represented`);
      return;
    }
    // A statusCode that is only a nullFlavor states no status: unknown, not the `finished` of an encounter without one.
    const statusNode = at(statement, 'statusCode');
    const stated = statusNode ? attr(statusNode, 'code') ?? '' : undefined;
    if (stated === 'aborted') ctx.warnings.push(`Entry ${location.path}: encounter aborted (begun, ended before completion); status unknown, neither finished nor cancelled`);
    else if (stated !== undefined && encounterStatus(stated) === 'unknown') ctx.warnings.push(`Entry ${location.path}: encounter statusCode ${stated ? `"${stated}" is not an encounter status` : 'states no code'}; status unknown`);
    const code = at(statement, 'code');
    const coding = toCoding(code);
    const encounter: Encounter = {
      resourceType: 'Encounter',
      ...extractedBase(ctx, statement, location.path),
      status: encounterStatus(stated),
      class: coding?.system === ACT_CODE ? coding : UNKNOWN_CLASS,
      subject: ctx.patient,
    };
    const types = [toCodeableConcept(code), ...all(code, 'qualifier/value').map(toCodeableConcept)].filter((c): c is CodeableConcept => !!c);
    if (types.length) encounter.type = types;
    const time = at(statement, 'effectiveTime');
    const instant = toDateTimeOf(time);
    const period = instant ? { start: instant } : toPeriod(time);
    if (period) encounter.period = period;
    const provider = childrenNamed(statement, 'performer')
      .map((p) => addOrganization(ctx.builder, at(p, 'assignedEntity/representedOrganization')))
      .find((r) => !!r);
    if (provider) encounter.serviceProvider = provider;
    ctx.builder.add(encounter, ctx.builder.urnFor(`encounter:${location.path}`));
  },
};

/**
 * The encounter's status from its CDA `statusCode` (HL7 ActStatus), after the C-CDA on FHIR concept map
 * (ConceptMap CF-EncounterStatus) read against R4's EncounterStatus definitions:
 * - completed (or none: an encounter in EVN mood took place) → `finished`;
 * - active → `in-progress`; cancelled (ended before it began) → `cancelled`; new, held (not begun) → `planned`;
 * - aborted: begun, then ended before it was completed. R4 has no such code: `finished` says it was carried out to its
 *   end and `cancelled` that it never began, both false; the concept map's `unknown` is the one that says nothing
 *   wrong (it was `finished`). The import's warning says what the document stated;
 * - suspended: begun, then interrupted for a time, not ended. R4's `onleave` ("begun, the patient is temporarily on
 *   leave") is that state; the concept map maps it there too. `finished` said the stay was over;
 * - anything else (not an ActStatus an encounter takes) → `unknown`, never `finished`.
 * nullified never reaches here (the walker's guard: entered in error, not represented).
 */
export function encounterStatus(code: string | undefined): Encounter['status'] {
  if (code === undefined || code === 'completed') return 'finished';
  if (code === 'active') return 'in-progress';
  if (code === 'cancelled') return 'cancelled';
  if (code === 'new' || code === 'held') return 'planned';
  if (code === 'suspended') return 'onleave';
  return 'unknown';
}
