import type { Observation, Reference } from '@medplum/fhirtypes';
import { at, childrenNamed } from '../cda-node';
import { toCodeableConcept, toDateTimeOf } from '../datatypes';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import type { XmlNode } from '../xml-tree';
import { hasAnyTemplate, moodOf, type EntryMapper } from './entry-mapper';
import { statementRefusal } from '../statement-guards';
import { mapResultObservation, OBSERVATION_CATEGORY } from './lab-result';

/** Vital signs organizers (CCD, IHE PCC, C-CDA, CI-SIS FR-Signes-vitaux). */
const ORGANIZER_TEMPLATES = ['2.16.840.1.113883.10.20.1.35', '1.3.6.1.4.1.19376.1.5.3.1.4.13.1', '2.16.840.1.113883.10.20.22.4.26', '1.2.250.1.213.1.1.3.49'];
/** Vital sign observations (IHE PCC, C-CDA, CI-SIS FR-Signe-vital-observé). */
const OBSERVATION_TEMPLATES = ['1.3.6.1.4.1.19376.1.5.3.1.4.13.2', '2.16.840.1.113883.10.20.22.4.27', '1.2.250.1.213.1.1.3.50'];
const LOINC = 'http://loinc.org';

/**
 * Vital signs → Observations of category `vital-signs` (FHIR vital signs profile: LOINC code, UCUM value, the
 * source's digits kept), grouped under a panel Observation (85353-1 when the organizer has no code) with `hasMember`.
 */
export const vitalSignsMapper: EntryMapper = {
  name: 'vital-signs',
  matches: (ids, node) =>
    (node.name === 'organizer' && hasAnyTemplate(ids, ORGANIZER_TEMPLATES)) || (node.name === 'observation' && hasAnyTemplate(ids, OBSERVATION_TEMPLATES)),
  map(statement, location, ctx) {
    if (statement.name === 'observation') {
      mapVitalSign(statement, location, ctx, location.path, undefined);
      return;
    }
    const organizerTime = toDateTimeOf(at(statement, 'effectiveTime'));
    const members: Reference<Observation>[] = [];
    childrenNamed(statement, 'component').forEach((component, i) => {
      const observation = at(component, 'observation');
      const url = observation && mapVitalSign(observation, location, ctx, `${location.path}.c${i + 1}`, organizerTime);
      if (url) members.push({ reference: url });
    });
    if (!members.length) return;
    const panel: Observation = {
      resourceType: 'Observation',
      ...extractedBase(ctx, statement, location.path),
      status: 'final',
      category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs' }] }],
      code: toCodeableConcept(at(statement, 'code')) ?? { coding: [{ system: LOINC, code: '85353-1', display: 'Vital signs, weight, height, head circumference, oxygen saturation and BMI panel' }] },
      subject: ctx.patient,
      hasMember: members,
    };
    if (organizerTime) panel.effectiveDateTime = organizerTime;
    ctx.builder.add(panel, ctx.builder.urnFor(`vital-signs:${location.path}`));
  },
};

/** One measurement; a negated one ("not measured") is a warning, never a value. The organizer's time is the fallback. */
function mapVitalSign(node: XmlNode, location: EntryLocation, ctx: MappingContext, path: string, fallbackTime: string | undefined): string | undefined {
  if (isNegated(node)) {
    ctx.warnings.push(`Entry ${path}: negated vital sign; not represented`);
    return undefined;
  }
  // A goal weight (GOL) or a measurement about someone else inside the organizer was read as measured on the patient.
  const refusal = statementRefusal(node) ?? (moodOf(node) === 'EVN' ? undefined : `vital sign in mood ${moodOf(node)}, not one measured`);
  if (refusal) {
    ctx.warnings.push(`Entry ${path}: ${refusal}; not represented`);
    if (path !== location.path) ctx.unmapped.add(location.section, node, path);
    return undefined;
  }
  const url = mapResultObservation(node, location, ctx, { path, category: 'vital-signs' });
  const observation = ctx.builder.resourceAt(url) as Observation;
  if (!observation.effectiveDateTime && !observation.effectivePeriod && fallbackTime) observation.effectiveDateTime = fallbackTime;
  return url;
}
