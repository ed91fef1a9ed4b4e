import type { CodeableConcept, Procedure } from '@medplum/fhirtypes';
import { at, attr, childrenNamed } from '../cda-node';
import { toCodeableConcept, toDateTimeOf, toPeriod } from '../datatypes';
import { extractedBase, isNegated } from '../mapping-context';
import type { XmlNode } from '../xml-tree';
import { absenceCoding, isUnidentified } from './absence';
import { authorOf, performerOf, reasonsOf } from './clinical-common';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { mapEmbeddedMedia } from './media';
import { reportRefusedParts, withoutRefusedParts } from '../statement-guards';
import { addNotes, narrativeNotes } from './narrative-notes';

/** Procedure entries: IHE PCC, CCD, CI-SIS FR-Acte, C-CDA Procedure Activity Procedure/Act. */
const PROCEDURE_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.4.19',
  '2.16.840.1.113883.10.20.1.29',
  '1.2.250.1.213.1.1.3.62',
  '2.16.840.1.113883.10.20.22.4.14',
  '2.16.840.1.113883.10.20.22.4.12',
];
/** Only what was done (EVN): a planned or proposed act (plan of care, `INT`/`PRP`/`RQO`) is not a Procedure done. */
const DONE_MOODS = new Set(['EVN', undefined]);

/**
 * A procedure done (CCAM, SNOMED CT, CPT … code) → Procedure with its date or period, body site, performer and the
 * reason it was done. Status from the CDA: `negationInd` → `not-done`, `aborted` → `stopped`, `active` → `in-progress`.
 */
export const procedureMapper: EntryMapper = {
  name: 'procedure',
  matches: (ids, node) => (node.name === 'procedure' || node.name === 'act') && hasAnyTemplate(ids, PROCEDURE_TEMPLATES) && DONE_MOODS.has(attr(node, 'moodCode')),
  map(statement, location, ctx) {
    const code = toCodeableConcept(at(statement, 'code'));
    // "No known procedures" (IPS absent-unknown code, or a negated generic "procedure") is no procedure, done or not.
    if (absenceCoding(code) || isUnidentified(code)) {
      const none = absenceCoding(code) || isNegated(statement);
      ctx.warnings.push(`Entry ${location.path}: ${none ? 'states no known procedure' : 'procedure without an identified act'}; not represented`);
      return;
    }
    const procedure: Procedure = {
      resourceType: 'Procedure',
      ...extractedBase(ctx, statement, location.path),
      status: statusOf(statement),
      code,
      subject: ctx.patient,
    };
    const time = at(statement, 'effectiveTime');
    const instant = toDateTimeOf(time);
    const period = instant ? undefined : toPeriod(time);
    if (instant) procedure.performedDateTime = instant;
    else if (period) procedure.performedPeriod = period;
    const sites = childrenNamed(statement, 'targetSiteCode').map(toCodeableConcept).filter((c): c is CodeableConcept => !!c);
    if (sites.length) procedure.bodySite = sites;
    const actor = performerOf(statement, ctx);
    if (actor) procedure.performer = [{ actor }];
    // The statement's author recorded the act: Procedure.recorder, never its performer.
    const recorder = authorOf(statement, ctx);
    if (recorder) procedure.recorder = recorder;
    // A reason negated ("not for pain"), entered in error, about someone else (the mother's diabetes) or not stated as a
    // fact (another mood) is not why the act was done: it became the procedure's reasonCode.
    const { kept, refused } = withoutRefusedParts(statement, location.path, (_, relation) => (attr(relation, 'typeCode') === 'RSON' ? ['EVN'] : undefined));
    reportRefusedParts(ctx, location, refused, () => 'procedure reason');
    const reasons = reasonsOf(kept);
    if (reasons.length) procedure.reasonCode = reasons;
    addNotes(procedure, narrativeNotes(ctx, location, at(statement, 'code')));
    ctx.builder.add(procedure, ctx.builder.urnFor(`procedure:${location.path}`));
    mapEmbeddedMedia(statement, location, ctx);
  },
};

function statusOf(statement: XmlNode): Procedure['status'] {
  if (isNegated(statement)) return 'not-done';
  const status = attr(at(statement, 'statusCode'), 'code');
  if (status === 'aborted') return 'stopped';
  if (status === 'cancelled') return 'not-done';
  if (status === 'active') return 'in-progress';
  // Not begun (new, held) is not done; suspended is on hold. Both were `unknown`, which a reader takes as maybe done.
  if (status === 'new' || status === 'held') return 'preparation';
  if (status === 'suspended') return 'on-hold';
  if (status === 'completed') return 'completed';
  return 'unknown';
}
