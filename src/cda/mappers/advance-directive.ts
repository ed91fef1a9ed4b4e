import type { Observation } from '@medplum/fhirtypes';
import { at } from '../cda-node';
import { toCodeableConcept, toDateTimeOf, toPeriod } from '../datatypes';
import { extractedBase, isNegated } from '../mapping-context';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { mapEmbeddedMedia } from './media';
import { setValue } from './lab-result';
import { narrativeOf } from '../narrative-references';
import { addNotes, narrativeNotes } from './narrative-notes';

/** Advance directive observations (CCD, IHE PCC, CI-SIS FR-Directive-anticipee, C-CDA). */
const DIRECTIVE_TEMPLATES = ['2.16.840.1.113883.10.20.1.17', '1.3.6.1.4.1.19376.1.5.3.1.4.13.7', '1.2.250.1.213.1.1.3.54', '2.16.840.1.113883.10.20.22.4.48'];
/** The LOINC code of the advance directives section, used as the category so that directives are found together. */
export const ADVANCE_DIRECTIVE_CATEGORY = { coding: [{ system: 'http://loinc.org', code: '42348-3', display: 'Advance directives' }] };

/**
 * An advance directive ("not for resuscitation", artificial life support, artificial feeding …) → Observation:
 * the directive's own code (SNOMED CT 304253006, LOINC 75789-8 …), its value exactly as stated (`valueBoolean`
 * false = the patient refuses it) and the period it holds.
 *
 * Why an Observation, not a Consent or a Flag: in this server Consent resources are the patient's access rules (IHE
 * PCF), read by the access decision; a directive imported from a document must never be taken for an access permit
 * or denial, and only the patient writes Consents. A Flag carries a code and a period but no value, so a "no" would
 * have to be rewritten into a new code — an interpretation. The Observation keeps the statement as the author made it,
 * searchable by code and by the category 42348-3. A negated directive is reported, not turned into its opposite.
 */
export const advanceDirectiveMapper: EntryMapper = {
  name: 'advance-directive',
  matches: (ids, node) => node.name === 'observation' && hasAnyTemplate(ids, DIRECTIVE_TEMPLATES),
  map(statement, location, ctx) {
    if (isNegated(statement)) {
      ctx.warnings.push(`Entry ${location.path}: negated advance directive; not represented`);
      return;
    }
    const observation: Observation = {
      resourceType: 'Observation',
      ...extractedBase(ctx, statement, location.path),
      status: 'final',
      category: [ADVANCE_DIRECTIVE_CATEGORY],
      code: toCodeableConcept(at(statement, 'code')) ?? { text: 'Advance directive' },
      subject: ctx.patient,
    };
    const time = at(statement, 'effectiveTime');
    const instant = toDateTimeOf(time);
    const period = instant ? undefined : toPeriod(time);
    if (instant) observation.effectiveDateTime = instant;
    else if (period) observation.effectivePeriod = period;
    setValue(observation, at(statement, 'value'));
    addNotes(observation, narrativeNotes(ctx, location, at(statement, 'code'), at(statement, 'value')));
    // The directive's own text (what the patient said, in the author's words) is a note, never the code's text.
    const text = narrativeOf(at(statement, 'text'));
    if (text && !observation.note?.some((n) => n.text === text)) addNotes(observation, [{ text }]);
    ctx.builder.add(observation, ctx.builder.urnFor(`advance-directive:${location.path}`));
    mapEmbeddedMedia(statement, location, ctx);
  },
};
