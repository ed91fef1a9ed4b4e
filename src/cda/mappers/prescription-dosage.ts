import type { CodeableConcept, Dosage, Quantity, Ratio, Timing, TimingRepeat } from '@medplum/fhirtypes';
import { at, attr, childrenNamed, templateIds } from '../cda-node';
import { readInteger, toCodeableConcept, toCoding, toQuantity, toRange } from '../datatypes';
import { hasUnresolvedBound, intervalEnd, intervalStart, widthOf } from '../interval-width';
import { narrativeOf } from '../narrative-references';
import type { XmlNode } from '../xml-tree';
import { hasAnyTemplate } from './entry-mapper';
import { statedText } from './prescription-qualifiers';

/** UCUM time units a FHIR Timing accepts as `periodUnit` / `durationUnit`. */
const UCUM_TIME = new Set(['s', 'min', 'h', 'd', 'wk', 'mo', 'a']);
/** HL7 v3 TimingEvent codes (EIVL `event`) that are also FHIR `Timing.repeat.when` codes. */
export const TIMING_EVENTS = new Set(['HS', 'WAKE', 'C', 'CM', 'CD', 'CV', 'AC', 'ACM', 'ACD', 'ACV', 'PC', 'PCM', 'PCD', 'PCV']);
/** Patient medication instructions (CCD, IHE PCC, CI-SIS FR-Instructions-au-patient). */
export const PATIENT_INSTRUCTION_TEMPLATES = ['2.16.840.1.113883.10.20.1.49', '1.3.6.1.4.1.19376.1.5.3.1.4.3', '1.2.250.1.213.1.1.3.33'];
/** IHE PCC split dose: the subordinate administrations happen together (same sequence), not one after the other. */
const SPLIT_DOSE_TEMPLATE = '1.3.6.1.4.1.19376.1.5.3.1.4.9';

/** Comments (CCD Comment, IHE PCC Comment Entry, CI-SIS FR-Commentaire-ER). */
export const COMMENT_TEMPLATES = ['2.16.840.1.113883.10.20.1.40', '1.3.6.1.4.1.19376.1.5.3.1.4.2', '1.2.250.1.213.1.1.3.32'];

/**
 * The dosage instructions of a prescribed substanceAdministration. Without subordinate administrations: one Dosage
 * (route, site, dose, rate, maximum dose, frequency PIVL / event EIVL, bounded by the treatment period, patient
 * instructions, precondition). With
 * subordinates (IHE PCC tapered or split doses, CI-SIS FR-Traitement-prescrit-subordonnee): one Dosage each, in their
 * `sequenceNumber` order (split doses share one sequence), inheriting the route the main entry states.
 * `said` collects what the caller's warnings say (a condition not represented, an event FHIR has no code for).
 */
export function dosageInstructions(statement: XmlNode, treatmentPeriod: XmlNode | undefined, said: string[] = []): Dosage[] {
  const shared = sharedDosage(statement, said);
  if (!subordinatesOf(statement).length) {
    const dosage = { ...shared, ...doseAndTiming(statement, { treatmentPeriod, subordinate: false, said }) };
    return Object.keys(dosage).length ? [dosage] : [];
  }
  return phaseDosages(statement, shared, said);
}

/**
 * What the main entry says of every administration, a treatment taken (MedicationStatement) or prescribed: route, site,
 * patient instructions, the "as needed" condition and the maximum dose. The statement taken read only the route: a
 * medicine to take "if pain", at most 4 g a day, read as a regular one with no cap.
 */
export function sharedDosage(statement: XmlNode, said: string[] = []): Dosage {
  const shared: Dosage = {};
  const route = toCodeableConcept(at(statement, 'routeCode'));
  if (route) shared.route = route;
  const site = toCodeableConcept(at(statement, 'approachSiteCode'));
  if (site) shared.site = site;
  const instruction = patientInstruction(statement);
  if (instruction) shared.patientInstruction = instruction;
  Object.assign(shared, asNeededOf(statement, said));
  // The main entry's maximum dose caps every subordinate administration.
  const max = toRatio(at(statement, 'maxDoseQuantity'));
  if (max) shared.maxDosePerPeriod = max;
  else if (statesValue(at(statement, 'maxDoseQuantity'))) said.push('maximum dose (maxDoseQuantity) not a quantity per period; not represented');
  return shared;
}

/**
 * The subordinate administrations of a medication entry (IHE PCC tapered `…4.8` / split `…4.9` doses, CI-SIS
 * FR-Traitement-prescrit-subordonnee), each with its `entryRelationship` (which carries the `sequenceNumber`).
 */
export function subordinatesOf(statement: XmlNode): { relation: XmlNode; node: XmlNode }[] {
  return childrenNamed(statement, 'entryRelationship')
    .map((relation) => ({ relation, node: at(relation, 'substanceAdministration') }))
    .filter((s): s is { relation: XmlNode; node: XmlNode } => !!s.node);
}

/**
 * One Dosage per subordinate administration (a phase of a tapered schedule: "1 cp for 5 days, then ½ cp"), in their
 * `sequenceNumber` order (split doses share sequence 1), each with its own dose, rate, frequency and bounds, and the
 * `shared` parts of the main entry (its route unless the phase states its own). A schedule flattened into one Dosage
 * was a wrong dose for every phase but one.
 */
export function phaseDosages(statement: XmlNode, shared: Dosage, said: string[] = []): Dosage[] {
  const split = hasAnyTemplate(templateIds(statement), [SPLIT_DOSE_TEMPLATE]);
  return subordinatesOf(statement).map(({ relation, node }, i) => {
    const sequence = split ? 1 : readInteger(attr(at(relation, 'sequenceNumber'), 'value')) ?? i + 1;
    const own = toCodeableConcept(at(node, 'routeCode'));
    const ownSite = toCodeableConcept(at(node, 'approachSiteCode'));
    // A phase's own precondition ("then, if pain") replaces the entry's: a phase given "as needed" is not a regular one.
    const { asNeededBoolean, asNeededCodeableConcept, ...inherited } = shared;
    const asNeeded = childrenNamed(node, 'precondition').length ? asNeededOf(node, said) : { ...(asNeededBoolean !== undefined ? { asNeededBoolean } : {}), ...(asNeededCodeableConcept ? { asNeededCodeableConcept } : {}) };
    return {
      sequence: sequence > 0 ? sequence : i + 1, ...inherited, ...asNeeded, ...(own ? { route: own } : {}), ...(ownSite ? { site: ownSite } : {}),
      ...doseAndTiming(node, { subordinate: true, said }),
    };
  });
}

/**
 * The administrations (the entry, its subordinates) that state several doses, rates or periods in one administration
 * — a schedule ("1 cp morning for 5 days then ½ cp") not written as subordinate administrations. Their doses cannot be
 * paired with their periods, so their Dosage keeps only the text (`doseAndTiming`); the caller says so in a warning.
 */
export function schedulesInOneAdministration(statement: XmlNode, treatmentPeriod?: XmlNode): number {
  const administrations = [statement, ...subordinatesOf(statement).map((s) => s.node)];
  return administrations.filter((node) => statesSeveralPhases(node, node === statement ? treatmentPeriod : undefined)).length;
}

/** A PIVL's `phase` (the time of day, the days of a cycle) is not read into the Timing: the caller says so. */
export const PIVL_PHASE = 'periodic time with a phase (time of day or place in the cycle); the phase is not represented, the frequency is';

/** The warning of an entry with such an administration. */
export const SCHEDULE_IN_ONE_ADMINISTRATION = 'several doses, rates or periods in one administration (a schedule not written as subordinate administrations); which dose goes with which period is not stated, only the text of its dosage is kept';

/** Several doseQuantity, rateQuantity, or intervals (other than the treatment period) in one administration. */
function statesSeveralPhases(node: XmlNode, treatmentPeriod: XmlNode | undefined): boolean {
  const intervals = effectiveTimes(node).filter((t) => t !== treatmentPeriod && (attr(t, 'xsi:type') === 'IVL_TS' || !attr(t, 'xsi:type')));
  return childrenNamed(node, 'doseQuantity').length > 1 || childrenNamed(node, 'rateQuantity').length > 1 || intervals.length > 1;
}

/** The effectiveTimes of an administration, the components of an SXPR_TS read as its own. */
function effectiveTimes(node: XmlNode): XmlNode[] {
  return childrenNamed(node, 'effectiveTime').flatMap((t) => (attr(t, 'xsi:type') === 'SXPR_TS' ? childrenNamed(t, 'comp') : [t]));
}

/** The administrations (the entry, its subordinates) whose frequency is several PIVL_TS, left out of their timing. */
export function ambiguousFrequencies(statement: XmlNode): number {
  const administrations = [statement, ...subordinatesOf(statement).map((s) => s.node)];
  return administrations.filter((node) => {
    const times = effectiveTimes(node);
    return times.filter((t) => attr(t, 'xsi:type') === 'PIVL_TS').length > 1;
  }).length;
}

/** Dose, rate, maximum dose and timing of one administration (main entry or subordinate). */
function doseAndTiming(node: XmlNode, options: { treatmentPeriod?: XmlNode; subordinate: boolean; said: string[] }): Dosage {
  const { treatmentPeriod } = options;
  const dosage: Dosage = {};
  const times = effectiveTimes(node);
  // The narrative of the frequency says the dosage as the prescriber wrote it. The main entry's own text points at the
  // product line of the narrative (it goes to note); only a subordinate's text is about its dosage.
  const frequencyText = times.map((t) => at(t, 'period/translation/originalText')?.narrative).find((n) => !!n);
  const text = frequencyText ?? (options.subordinate ? narrativeOf(at(node, 'text')) : undefined);
  if (text) dosage.text = text;
  // Several doses or periods in one administration: which dose goes with which period is not written. The first dose
  // and the last period made one wrong instruction; the text (the entry's own when nothing else) says it as written.
  if (statesSeveralPhases(node, treatmentPeriod)) {
    const written = text ?? narrativeOf(at(node, 'text'));
    return written ? { text: written } : {};
  }
  const timing = timingOf(times, treatmentPeriod, options.said);
  if (timing) dosage.timing = timing;
  const doseAndRate: NonNullable<Dosage['doseAndRate']>[number] = {};
  Object.assign(doseAndRate, doseOf(node, options.said));
  const rate = at(node, 'rateQuantity');
  const rateQuantity = toQuantity(rate);
  const rateRange = rateQuantity ? undefined : toRange(rate);
  if (rateQuantity) doseAndRate.rateQuantity = rateQuantity;
  if (rateRange) doseAndRate.rateRange = rateRange;
  if (Object.keys(doseAndRate).length) dosage.doseAndRate = [doseAndRate];
  if (options.subordinate) {
    const max = toRatio(at(node, 'maxDoseQuantity'));
    if (max) dosage.maxDosePerPeriod = max;
    else if (statesValue(at(node, 'maxDoseQuantity'))) options.said.push('maximum dose (maxDoseQuantity) of a phase not a quantity per period; not represented');
  }
  return dosage;
}

/**
 * Timing from the CDA effectiveTimes: PIVL_TS period → `frequency` 1 per `period`; EIVL_TS event → `when`; an IVL_TS
 * (the treatment period, or a subordinate's own interval) → `boundsPeriod`, a bound written as a width computed from
 * the other (`boundsOf`); `boundsDuration` for a width alone.
 */
function timingOf(times: XmlNode[], treatmentPeriod: XmlNode | undefined, said: string[]): Timing | undefined {
  const repeat: TimingRepeat = {};
  // Two PIVL_TS (08:00 every day and 20:00 every day, joined as a union) are twice a day; one `repeat` holds one
  // period, and the last one written made it once a day. The frequency is then left to the dosage's text.
  const periodic = times.filter((t) => attr(t, 'xsi:type') === 'PIVL_TS').length;
  for (const time of times) {
    const type = attr(time, 'xsi:type');
    if (type === 'PIVL_TS' && periodic > 1) continue;
    if (type === 'PIVL_TS') {
      if (at(time, 'phase')) said.push(PIVL_PHASE);
      const period = toQuantity(at(time, 'period'));
      if (period?.value !== undefined && period.unit && UCUM_TIME.has(period.unit)) {
        Object.assign(repeat, { frequency: 1, period: period.value, periodUnit: period.unit as TimingRepeat['periodUnit'] });
      }
    } else if (type === 'EIVL_TS') {
      const event = attr(at(time, 'event'), 'code');
      if (event && TIMING_EVENTS.has(event)) repeat.when = [...(repeat.when ?? []), event as NonNullable<TimingRepeat['when']>[number]];
      else said.push(`administration event ${event ?? '(none)'} is not a FHIR timing event; not represented`);
    } else if (type === 'IVL_TS' || (!type && time !== treatmentPeriod)) {
      Object.assign(repeat, boundsOf(time));
    }
  }
  if (treatmentPeriod && !repeat.boundsPeriod && !repeat.boundsDuration) Object.assign(repeat, boundsOf(treatmentPeriod));
  return Object.keys(repeat).length ? { repeat } : undefined;
}

function boundsOf(interval: XmlNode): Pick<TimingRepeat, 'boundsPeriod' | 'boundsDuration'> {
  const start = intervalStart(interval);
  const end = intervalEnd(interval);
  const width = widthOf(interval);
  // A start (or an end) and a width: both bounds, the other computed (`interval-width.ts`). It was the width alone, so
  // "from 6 June for 5 days" lost its start. Where the other bound cannot be computed at the precision written, the
  // width is kept (how long) and `unresolvedPhaseBounds` has the caller say the start was not represented.
  if (start && end) return { boundsPeriod: { start, end } };
  if (width && UCUM_TIME.has(width.unit as string)) return { boundsDuration: width };
  if (start || end) return { boundsPeriod: { ...(start ? { start } : {}), ...(end ? { end } : {}) } };
  return {};
}

/**
 * The administrations (the entry, its subordinates) with an interval written as one bound and a width whose other
 * bound cannot be computed: their Dosage keeps the width (`boundsDuration`) and the bound written is not represented.
 */
export function unresolvedPhaseBounds(statement: XmlNode): number {
  const administrations = [statement, ...subordinatesOf(statement).map((s) => s.node)];
  return administrations.filter((node) => effectiveTimes(node).some((t) => (!attr(t, 'xsi:type') || attr(t, 'xsi:type') === 'IVL_TS') && hasUnresolvedBound(t))).length;
}

/** The warning of an entry with such an interval. */
export const UNRESOLVED_PHASE_BOUND = 'a period given as one date and a width whose other date cannot be computed at the precision written; its duration is represented, not its date';

/** An element with a `value` written in it or its parts (an empty `<maxDoseQuantity><numerator/>…` states nothing). */
function statesValue(node: XmlNode | undefined): boolean {
  return !!node && (node.attrs.value !== undefined || node.children.some(statesValue));
}

/**
 * The dose (`doseQuantity`, a PQ or an IVL_PQ) in its unit of administration: `<doseQuantity value="1"/>` with an
 * `administrationUnitCode` « comprimé » (EDQM 10219000) is one tablet, and the bare "1" lost what it counted. A dose
 * with a unit of its own (mg) keeps it, and the administration unit, then only the form the product's code carries,
 * is said not represented.
 */
export function doseOf(node: XmlNode, said: string[]): Pick<NonNullable<Dosage['doseAndRate']>[number], 'doseQuantity' | 'doseRange'> {
  const dose = at(node, 'doseQuantity');
  const doseQuantity = toQuantity(dose);
  const doseRange = doseQuantity ? undefined : toRange(dose);
  const unitCode = at(node, 'administrationUnitCode');
  const unit = toCoding(unitCode);
  const bare = (q: Quantity | undefined) => !!q && !q.unit && !q.code;
  if (unitCode && !unit) said.push('administrationUnitCode not coded; not represented');
  else if (unit && (bare(doseQuantity) || bare(doseRange?.low) || bare(doseRange?.high))) {
    const inUnit = (q: Quantity | undefined): Quantity | undefined => (bare(q) ? { ...q, unit: unit.display ?? unit.code, ...(unit.system ? { system: unit.system } : {}), code: unit.code } : q);
    if (doseQuantity) return { doseQuantity: inUnit(doseQuantity) };
    if (doseRange) return { doseRange: { ...(doseRange.low ? { low: inUnit(doseRange.low) } : {}), ...(doseRange.high ? { high: inUnit(doseRange.high) } : {}) } };
  } else if (unit) said.push('administrationUnitCode beside a dose with its own unit; not represented');
  return { ...(doseQuantity ? { doseQuantity } : {}), ...(doseRange ? { doseRange } : {}) };
}

/** CDA RTO_PQ_PQ (`maxDoseQuantity`: 4 per 1 d) → Ratio, the document's digits kept. */
function toRatio(rto: XmlNode | undefined): Ratio | undefined {
  const numerator = toQuantity(at(rto, 'numerator'));
  const denominator = toQuantity(at(rto, 'denominator'));
  if (!numerator || !denominator) return undefined;
  return { numerator: numerator as Quantity, denominator: denominator as Quantity };
}

/** The patient's instructions (`SUBJ` acts of the patient-instruction templates): their narratives, all of them. */
function patientInstruction(statement: XmlNode): string | undefined {
  const texts: string[] = [];
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    const act = at(relation, 'act');
    if (act && hasAnyTemplate(templateIds(act), PATIENT_INSTRUCTION_TEMPLATES)) {
      const text = statedText(narrativeOf(at(act, 'text')));
      if (text && !texts.includes(text)) texts.push(text);
    }
  }
  return texts.length ? texts.join('\n') : undefined;
}

/**
 * The "as needed" condition of an administration (IHE PCC / C-CDA `precondition/criterion`: give it only when the
 * criterion holds) → FHIR's `asNeeded[x]`, "the precondition for taking the medication":
 * - one criterion stated (a coded value, else words in its narrative) → `asNeededCodeableConcept`;
 * - several, or one negated ("when no pain", which FHIR has no way to say) → `asNeededBoolean` true: the dose is still
 *   taken only on a condition, which the caller's warning says is not represented. A PRN medicine read as a regular
 *   one is a clinical error; the condition's words are in the document;
 * - criteria that say nothing (an unresolved reference, "-": the eP-MED example writes one on every line, pointing at
 *   no narrative) make no condition: the dosage stays unconditional, and the warning says a precondition was there.
 */
function asNeededOf(node: XmlNode, said: string[]): Pick<Dosage, 'asNeededBoolean' | 'asNeededCodeableConcept'> {
  const stated: CodeableConcept[] = [];
  let negated = 0;
  let empty = 0;
  for (const precondition of childrenNamed(node, 'precondition')) {
    const criterion = at(precondition, 'criterion');
    if ([precondition, criterion].some((n) => n && negatesValue(n))) {
      negated++;
      continue;
    }
    const concept = toCodeableConcept(at(criterion, 'value'));
    const text = statedText(narrativeOf(at(criterion, 'text')));
    if (concept?.coding) stated.push({ ...concept, ...(text && !concept.text ? { text } : {}) });
    else if (text) stated.push({ text });
    else empty++;
  }
  if (negated) said.push(`precondition negated; not represented as the "as needed" condition (the dose is "as needed")`);
  if (stated.length > 1) said.push(`${stated.length} preconditions; the dose is "as needed", its conditions are not represented`);
  if (empty && !stated.length && !negated) said.push('precondition without a stated criterion; the dose is not marked "as needed"');
  if (stated.length === 1 && !negated) return { asNeededCodeableConcept: stated[0] };
  return stated.length || negated ? { asNeededBoolean: true } : {};
}

/** `negationInd="true"` or a `valueNegationInd` other than false. */
function negatesValue(node: XmlNode): boolean {
  return Object.entries(node.attrs).some(([n, v]) => (n === 'negationInd' && v === 'true') || ((n === 'valueNegationInd' || n.endsWith(':valueNegationInd')) && v.trim() !== 'false'));
}
