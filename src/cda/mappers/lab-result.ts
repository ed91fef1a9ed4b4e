import type { Observation, ObservationReferenceRange, Reference, Specimen } from '@medplum/fhirtypes';

type SpecimenRef = Reference<Specimen>;
import { all, at, attr, childrenNamed, templateIds, textOf } from '../cda-node';
import { boundText, readInteger, toBoundQuantity, toCodeableConcept, toDateTimeOf, toInstantOf, toPeriod, toQuantity, toRange } from '../datatypes';
import { dataAbsentReasonOf } from '../data-absent';
import { narrativeOf } from '../narrative-references';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import { statementRefusal } from '../statement-guards';
import type { XmlNode } from '../xml-tree';
import { hasAnyTemplate, moodOf, type EntryMapper } from './entry-mapper';
import { describeIsolate, isIsolate } from './microbiology-isolate';
import { addNotes, narrativeNotes } from './narrative-notes';

const RESULT_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.3.1.6', // IHE XD-LAB Laboratory Observation (+ CI-SIS 1.2.250.1.213.1.1.3.80)
  '1.2.250.1.213.1.1.3.80',
  '2.16.840.1.113883.10.20.22.4.2', // C-CDA Result Observation
  '2.16.840.1.113883.10.20.1.31', // CCD Result observation
  '1.2.250.1.213.1.1.3.209', // CI-SIS lab result in summaries (IPS-FR)
];
const BATTERY_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.3.1.4', // XD-LAB Laboratory Battery Organizer
  '1.3.6.1.4.1.19376.1.3.1.5', // XD-LAB Laboratory Isolate Organizer
  '1.2.250.1.213.1.1.3.78',
  '1.2.250.1.213.1.1.3.79',
  '2.16.840.1.113883.10.20.22.4.1', // C-CDA Result Organizer
  '2.16.840.1.113883.10.20.1.32', // CCD Result organizer
  '1.2.250.1.213.1.1.3.208', // CI-SIS lab battery in summaries (IPS-FR)
];
/** Vital signs and survey panels share the CCD result templates; they are not lab results. */
const VITAL_SIGN_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.1.12.3.6', '1.3.6.1.4.1.19376.1.5.3.1.1.12.3.7',
  '1.3.6.1.4.1.19376.1.5.3.1.4.13.2', '1.3.6.1.4.1.19376.1.5.3.1.4.13.1', '2.16.840.1.113883.10.20.1.35',
  '2.16.840.1.113883.10.20.22.4.26', '2.16.840.1.113883.10.20.22.4.27',
];
const CODED_TYPES = ['CD', 'CE', 'CV', 'CO', 'CS'];
/** What a CDA observationRange holds (CDA R2); anything else (a precondition) qualifies the range. */
const RANGE_ELEMENTS = new Set(['realmCode', 'typeId', 'templateId', 'code', 'text', 'value', 'interpretationCode']);
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/** Lab result observation → Observation; collected for the section's DiagnosticReport. */
export const labResultMapper: EntryMapper = {
  name: 'lab-result',
  matches: (ids, node) => node.name === 'observation' && hasAnyTemplate(ids, RESULT_TEMPLATES) && !hasAnyTemplate(ids, VITAL_SIGN_TEMPLATES),
  map(statement, location, ctx) {
    if (!representable(statement, location, location.path, ctx)) return;
    const specimen = specimenOf(statement, location, ctx) ?? ctx.collectedSpecimens.get(location.section);
    const fullUrl = mapResult(statement, location, ctx, location.path, specimen);
    ctx.results.push({ section: location.topSection, fullUrl, specimen });
  },
};

/** Lab battery / isolate organizer → Observation with hasMember (members mapped recursively). */
export const labBatteryMapper: EntryMapper = {
  name: 'lab-battery',
  matches: (ids, node) => node.name === 'organizer' && hasAnyTemplate(ids, BATTERY_TEMPLATES) && !hasAnyTemplate(ids, VITAL_SIGN_TEMPLATES),
  map(statement, location, ctx) {
    if (!representable(statement, location, location.path, ctx)) return;
    const { fullUrl, specimen } = mapBattery(statement, location, ctx, location.path, ctx.collectedSpecimens.get(location.section));
    ctx.results.push({ section: location.topSection, fullUrl, specimen });
  },
};

function mapBattery(
  organizer: XmlNode, location: EntryLocation, ctx: MappingContext, path: string, inherited?: SpecimenRef,
): { fullUrl: string; specimen?: SpecimenRef } {
  // An isolate's "specimen" is the organism grown: it is the isolate's value, and the sample stays the parent's.
  const isolate = isIsolate(templateIds(organizer));
  const specimen = (isolate ? undefined : specimenOf(organizer, { ...location, path }, ctx)) ?? inherited;
  const battery = baseObservation(organizer, ctx, path, specimen);
  if (isolate) describeIsolate(battery, organizer);
  const members: Reference<Observation>[] = [];
  childrenNamed(organizer, 'component').forEach((component, i) => {
    const member = at(component, 'observation') ?? at(component, 'organizer');
    if (member && !representable(member, location, `${path}.c${i + 1}`, ctx)) return;
    const observation = at(component, 'observation');
    const nested = at(component, 'organizer');
    if (observation) members.push({ reference: mapResult(observation, location, ctx, `${path}.c${i + 1}`, specimen) });
    else if (nested) members.push({ reference: mapBattery(nested, location, ctx, `${path}.c${i + 1}`, specimen).fullUrl });
  });
  if (members.length) battery.hasMember = members;
  return { fullUrl: ctx.builder.add(battery, ctx.builder.urnFor(`observation:${path}`)), specimen };
}

/**
 * Whether a result or battery can be represented: a negated one (`negationInd="true"`: the observation was not made,
 * or its finding is absent) was stored as a final result with its value and « high » flag; a member about another
 * subject, entered in error, in another mood, or with a negated value (`statement-guards.ts`) is not the patient's
 * result either. Those are said in a warning.
 */
function representable(node: XmlNode, location: EntryLocation, path: string, ctx: MappingContext): boolean {
  const refusal = isNegated(node)
    ? 'negated result (negationInd="true"): not a result obtained'
    : (statementRefusal(node) ?? (moodOf(node) === 'EVN' ? undefined : `result in mood ${moodOf(node)}, not one obtained`));
  if (!refusal) return true;
  ctx.warnings.push(`Entry ${path}: ${refusal}; not represented`);
  // A member left out is listed like any statement no mapper represents (a top-level entry is the walker's to list).
  if (path !== location.path) ctx.unmapped.add(location.section, node, path);
  return false;
}

function mapResult(node: XmlNode, location: EntryLocation, ctx: MappingContext, path: string, specimen?: SpecimenRef): string {
  return mapResultObservation(node, location, ctx, { path, specimen: specimen ?? specimenOf(node, { ...location, path }, ctx) });
}

/** What distinguishes the observations mapped like results: path, category (default laboratory), specimen. */
export interface ResultOptions {
  path: string;
  category?: string;
  specimen?: SpecimenRef;
}

/**
 * A result-like observation (lab result, vital sign, social-history item …) → Observation with its value (source
 * digits kept), interpretation, reference range, method, effective time and notes; returns its fullUrl.
 */
export function mapResultObservation(node: XmlNode, location: EntryLocation, ctx: MappingContext, options: ResultOptions): string {
  const { path, specimen } = options;
  const observation = baseObservation(node, ctx, path, specimen, options.category);
  setValue(observation, at(node, 'value'), { path, list: ctx.warnings });
  const interpretation = childrenNamed(node, 'interpretationCode').map(toCodeableConcept).filter((c) => !!c);
  if (interpretation.length) observation.interpretation = interpretation as Observation['interpretation'];
  const ranges = all(node, 'referenceRange/observationRange')
    .filter((range, i) => {
      // A CDA observationRange is the range in which a value gets its interpretationCode: with N (or none) it is the
      // normal range; with H, L, HH, A … it is where values are high, low, critical. FHIR's referenceRange is read as
      // the normal range (its type, when present, is normal, therapeutic, recommended …): « H » 10–20 was served as a
      // reference range of 10–20, a high value shown as within it.
      const meaning = attr(at(range, 'interpretationCode'), 'code');
      // A condition on the range (a precondition, SDTC or R2.1) says for whom it holds, which FHIR cannot say here:
      // served alone, a range for pregnant women or for another sex reads as the patient's own.
      const conditioned = range.children.find((c) => !RANGE_ELEMENTS.has(c.name));
      if (conditioned) {
        ctx.warnings.push(`Entry ${path}.range${i + 1}: range with a ${conditioned.name} (for a population it names); not represented`);
        return false;
      }
      if (meaning === undefined || meaning === 'N') return true;
      ctx.warnings.push(`Entry ${path}.range${i + 1}: range of the values interpreted "${meaning}", not a normal range; not represented`);
      return false;
    })
    .map(toReferenceRange)
    .filter((r) => !!r);
  if (ranges.length) observation.referenceRange = ranges as ObservationReferenceRange[];
  const method = toCodeableConcept(at(node, 'methodCode'));
  if (method) observation.method = method;
  const notes = childrenNamed(node, 'entryRelationship')
    .map((r) => at(r, 'act'))
    .filter((a): a is XmlNode => !!a)
    .map((a) => narrativeOf(at(a, 'text')))
    .filter((t): t is string => !!t);
  if (notes.length) observation.note = notes.map((text) => ({ text }));
  addNotes(observation, narrativeNotes(ctx, { ...location, path }, at(node, 'code'), at(node, 'value')));
  return ctx.builder.add(observation, ctx.builder.urnFor(`observation:${path}`));
}

function baseObservation(node: XmlNode, ctx: MappingContext, path: string, specimen?: SpecimenRef, category = 'laboratory'): Observation {
  const observation: Observation = {
    resourceType: 'Observation',
    ...extractedBase(ctx, node, path),
    status: statusOf(attr(at(node, 'statusCode'), 'code')),
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: category }] }],
    code: toCodeableConcept(at(node, 'code')) ?? { text: 'unknown' },
    subject: ctx.patient,
  };
  const time = at(node, 'effectiveTime');
  const instant = toDateTimeOf(time);
  const period = instant ? undefined : toPeriod(time);
  if (instant) observation.effectiveDateTime = instant;
  else if (period?.start && period.end) observation.effectivePeriod = period;
  else if (period?.start) observation.effectiveDateTime = period.start;
  if (specimen) observation.specimen = specimen;
  return observation;
}

/**
 * HL7 v3 ActStatus → Observation.status. Only `completed` (or no status: CI-SIS always states it) is a final result;
 * `new`, `held`, `suspended`, `obsolete` were read as final too, a result not (or no longer) valid served as one.
 */
function statusOf(code: string | undefined): Observation['status'] {
  if (code === undefined || code === 'completed') return 'final';
  if (code === 'active') return 'preliminary';
  if (code === 'aborted' || code === 'cancelled') return 'cancelled';
  if (code === 'nullified') return 'entered-in-error';
  if (code === 'new' || code === 'held') return 'registered';
  return 'unknown';
}

/**
 * Sets value[x] from a CDA ANY value according to its xsi:type. A quantity whose number cannot be read (`1,5`, `0x1F`) is
 * kept as the text the document wrote, unit included (`valueString` "1,5 m[IU]/L"), and said in `warnings`: before, the
 * result was stored with its interpretation and reference range but no value at all, and nothing told the sender.
 */
export function setValue(observation: Observation, value: XmlNode | undefined, warnings?: { path: string; list: string[] }): void {
  if (!value) return;
  // A value that is a nullFlavor says why there is none ("asked, unknown", "masked", "not applicable"): the Observation
  // had no value and nothing saying why (FHIR obs-6: a dataAbsentReason only where there is no value).
  const nullFlavor = attr(value, 'nullFlavor');
  if (nullFlavor !== undefined) {
    // OTH on a coded value: the sender's system had no code for what it states, and says it in originalText (or in a
    // translation of another system). That is a value, in the sender's words: it was `dataAbsentReason` « unknown »,
    // and the clinician lost the organism or the finding the laboratory wrote.
    const stated = nullFlavor === 'OTH' && CODED_TYPES.includes(attr(value, 'xsi:type') ?? '') ? toCodeableConcept(value) : undefined;
    if (stated) {
      observation.valueCodeableConcept = stated;
      return;
    }
    observation.dataAbsentReason = dataAbsentReasonOf(nullFlavor);
    return;
  }
  const type = attr(value, 'xsi:type') ?? '';
  if (type === 'PQ') {
    const quantity = toQuantity(value);
    const raw = attr(value, 'value');
    if (quantity) {
      observation.valueQuantity = quantity;
      if (quantity.unit && !quantity.code) warnings?.list.push(`Entry ${warnings.path}: the unit "${quantity.unit}" is not UCUM; kept as the document's text, without a UCUM code`);
    } else if (raw !== undefined && raw.trim()) {
      const unit = attr(value, 'unit');
      observation.valueString = unit && unit !== '1' ? `${raw.trim()} ${unit}` : raw.trim();
      warnings?.list.push(`Entry ${warnings.path}: the value "${raw.trim()}" is not a number; kept as the document's text`);
    }
  } else if (type === 'IVL_PQ') {
    // "<1.0 mg/L" is a quantity with a comparator, not a range with one end missing.
    // A FHIR Range is inclusive at both ends: an interval with an exclusive bound (">5 and <10") stored as one said
    // 5 and 10 were in it. It is kept as the document's words, with a warning.
    const bound = toBoundQuantity(value);
    const range = bound ? undefined : toRange(value);
    const exclusive = range?.low && range.high && ['low', 'high'].some((side) => attr(at(value, side), 'inclusive') === 'false');
    if (bound) observation.valueQuantity = bound;
    else if (exclusive) {
      const text = [boundText(at(value, 'low'), 'low'), boundText(at(value, 'high'), 'high')].join(' and ');
      observation.valueString = text;
      warnings?.list.push(`Entry ${warnings.path}: the interval "${text}" has an exclusive bound, which a FHIR Range cannot say; kept as the document's text`);
    } else if (range) observation.valueRange = range;
  } else if (CODED_TYPES.includes(type)) {
    const concept = toCodeableConcept(value);
    if (concept) observation.valueCodeableConcept = concept;
  } else if (type === 'INT') {
    const n = readInteger(attr(value, 'value'));
    if (n !== undefined) observation.valueInteger = n;
  } else if (type === 'BL') {
    // Only the two literals: "1" or "TRUE" read as false turned a positive answer into a negative one.
    const raw = attr(value, 'value');
    if (raw === 'true' || raw === 'false') observation.valueBoolean = raw === 'true';
    else if (raw !== undefined) {
      observation.valueString = raw;
      warnings?.list.push(`Entry ${warnings.path}: the value "${raw}" is neither true nor false; kept as the document's text`);
    }
  } else if (type === 'TS' || type === 'IVL_TS') {
    const when = toInstantOf(value);
    if (when) observation.valueDateTime = when;
  } else if (type === 'RTO' || type === 'RTO_PQ_PQ') {
    const numerator = toQuantity(at(value, 'numerator'));
    const denominator = toQuantity(at(value, 'denominator'));
    if (numerator && denominator) observation.valueRatio = { numerator, denominator };
  } else {
    const text = textOf(value);
    if (text) observation.valueString = text;
  }
}

function toReferenceRange(range: XmlNode): ObservationReferenceRange | undefined {
  const result: ObservationReferenceRange = {};
  const value = toRange(at(range, 'value'));
  if (value?.low) result.low = value.low;
  if (value?.high) result.high = value.high;
  // FHIR range bounds are inclusive and cannot carry a comparator: an exclusive bound is said in the text.
  const ivl = at(range, 'value');
  const exclusive = ['low', 'high'].some((side) => attr(at(ivl, side), 'inclusive') === 'false');
  const text = narrativeOf(at(range, 'text')) ?? (exclusive ? exclusiveRangeText(ivl) : undefined);
  if (text) result.text = text;
  // The range's code names the population it is for (female, child …): FHIR's appliesTo. Without it, a range for
  // women was served as the range of the patient, whoever he is.
  const population = toCodeableConcept(at(range, 'code'));
  if (population) result.appliesTo = [population];
  return Object.keys(result).length ? result : undefined;
}

function exclusiveRangeText(ivl: XmlNode | undefined): string | undefined {
  const parts = [boundText(at(ivl, 'low'), 'low'), boundText(at(ivl, 'high'), 'high')].filter((p): p is string => !!p);
  return parts.length ? parts.join(' and ') : undefined;
}

/** The `specimen` participation of an observation/organizer → Specimen entry (type, collection time). */
function specimenOf(node: XmlNode, location: EntryLocation, ctx: MappingContext): SpecimenRef | undefined {
  const role = at(node, 'specimen/specimenRole');
  const type = toCodeableConcept(at(role, 'specimenPlayingEntity/code'));
  if (!role || !type) return undefined;
  const specimen: Specimen = {
    resourceType: 'Specimen',
    ...extractedBase(ctx, role, `${location.path}.specimen`),
    type,
    subject: ctx.patient,
  };
  const collection = all(node, 'entryRelationship/procedure').find((p) => templateIdsInclude(p, '1.3.6.1.4.1.19376.1.3.1.2'));
  const collected = toInstantOf(at(collection, 'effectiveTime'));
  if (collected) specimen.collection = { collectedDateTime: collected };
  return { reference: ctx.builder.add(specimen, ctx.builder.urnFor(`specimen:${location.path}`)) };
}

function templateIdsInclude(node: XmlNode, id: string): boolean {
  return childrenNamed(node, 'templateId').some((t) => attr(t, 'root') === id);
}
