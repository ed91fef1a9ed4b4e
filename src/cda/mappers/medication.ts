import type { CodeableConcept, Dosage, MedicationStatement, TimingRepeat } from '@medplum/fhirtypes';
import { at, attr, childrenNamed } from '../cda-node';
import { narrativeOf } from '../narrative-references';
import { toCodeableConcept, toDateTimeOf, toPeriod, toQuantity, toRange } from '../datatypes';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import { reportRefusedParts, withoutRefusedParts } from '../statement-guards';
import type { XmlNode } from '../xml-tree';
import { absenceCoding, absenceInWords, isUnidentified } from './absence';
import { mainEffectiveTime, productCode } from './clinical-common';
import { endedBefore } from './clinical-status';
import { addNestedDispenses } from './dispense';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { addNotes, narrativeNotes } from './narrative-notes';
import { phaseDosages, SCHEDULE_IN_ONE_ADMINISTRATION, schedulesInOneAdministration, subordinatesOf, TIMING_EVENTS } from './prescription-dosage';

/** Medication activities of every profile; in a request mood they are prescriptions (`prescription.ts`). */
export const MEDICATION_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.4.7', // IHE PCC Medications
  '2.16.840.1.113883.10.20.22.4.16', // C-CDA Medication Activity
  '2.16.840.1.113883.10.20.1.24', // CCD Medication activity
  '1.2.250.1.213.1.1.3.42', // CI-SIS FR-Traitement
  '1.2.250.1.213.1.1.3.83', // CI-SIS FR-Traitement-prescrit
];

const UCUM_TIME: Record<string, 'h' | 'd' | 'wk' | 'mo' | 'min' | 's' | 'a'> = { h: 'h', d: 'd', wk: 'wk', mo: 'mo', min: 'min', s: 's', a: 'a' };

/**
 * Medication substanceAdministration that was taken or given (EVN) → MedicationStatement (CIS code with its ATC
 * translation, period, dose). Prescribed or planned treatments (INT/RQO/PRP) are MedicationRequests (`prescription.ts`,
 * before this mapper in the registry).
 */
export const medicationMapper: EntryMapper = {
  name: 'medication',
  matches: (templateIds) => hasAnyTemplate(templateIds, MEDICATION_TEMPLATES),
  map(statement, location, ctx) {
    const product = productCode(statement);
    // "No known medications" (an absence code, or a negated generic "drug or medication") and a product that is
    // only a nullFlavor say that no treatment is known: not a MedicationStatement of some treatment.
    if (absenceCoding(product) || absenceInWords(product) || isUnidentified(product)) {
      ctx.warnings.push(`Entry ${location.path}: ${isNegated(statement) || absenceCoding(product) || absenceInWords(product) ? 'states no known medication' : 'medication without an identified product'}; not represented`);
      return;
    }
    const statement_: MedicationStatement = {
      resourceType: 'MedicationStatement',
      ...extractedBase(ctx, statement, location.path),
      status: statusOf(statement, ctx.documentTime),
      medicationCodeableConcept: product as CodeableConcept,
      subject: ctx.patient,
    };
    const period = toPeriod(mainEffectiveTime(statement));
    if (period) statement_.effectivePeriod = period;
    addNotes(statement_, narrativeNotes(ctx, location, at(statement, 'consumable/manufacturedProduct/manufacturedMaterial/code')));
    addDosage(statement_, statement, location, ctx);
    ctx.builder.add(statement_, ctx.builder.urnFor(`medication:${location.path}`));
    addNestedDispenses(statement, product as CodeableConcept, location, ctx);
  },
};

/**
 * The treatment's clinical status. CDA `statusCode=completed` is the status of the act of recording (every
 * CI-SIS treatment carries it), not of the treatment: the period decides, relative to the document's date.
 */
function statusOf(statement: XmlNode, documentTime: string | undefined): MedicationStatement['status'] {
  if (isNegated(statement)) return 'not-taken';
  const status = attr(at(statement, 'statusCode'), 'code');
  // Aborted: begun, then stopped. Cancelled: abandoned before it began (HL7 ActStatus), so never taken: it was `stopped`.
  if (status === 'aborted') return 'stopped';
  if (status === 'cancelled') return 'not-taken';
  if (status === 'suspended') return 'on-hold';
  const time = mainEffectiveTime(statement);
  const ended = endedBefore(time, documentTime);
  if (ended !== undefined) return ended ? 'completed' : 'active';
  if (toDateTimeOf(at(time, 'low'))) return 'active'; // started, no end: ongoing (high absent or unknown)
  if (toDateTimeOf(time)) return 'completed'; // a single administration at a point in time
  return status === 'active' ? 'active' : 'unknown';
}

/**
 * The dosage taken. A tapered or split schedule (subordinate administrations) is one Dosage per phase, with its
 * sequence, dose and bounds (`phaseDosages`), the entry's own text going to `note` since it tells the whole schedule;
 * the subordinates were not read at all, and a dose on the main entry stood for every phase. Several doses or periods
 * in one administration keep only the text. A phase negated, entered in error or about someone else is left out and
 * reported.
 */
function addDosage(resource: MedicationStatement, written: XmlNode, location: EntryLocation, ctx: MappingContext): void {
  const { kept: statement, refused } = withoutRefusedParts(written, location.path, (part) => (part.name === 'substanceAdministration' ? 'any' : undefined));
  reportRefusedParts(ctx, location, refused, () => 'dosage phase (subordinate substanceAdministration)');
  if (subordinatesOf(written).length) {
    const route = toCodeableConcept(at(statement, 'routeCode'));
    const phases = phaseDosages(statement, route ? { route } : {});
    if (schedulesInOneAdministration(statement)) ctx.warnings.push(`Entry ${location.path}: ${SCHEDULE_IN_ONE_ADMINISTRATION}`);
    if (phases.length) resource.dosage = phases;
    const text = narrativeOf(at(statement, 'text'));
    if (text && !resource.note?.some((n) => n.text === text)) addNotes(resource, [{ text }]);
    return;
  }
  const dosage = dosageOf(statement, location.path, ctx.warnings);
  if (dosage) resource.dosage = [dosage];
}

function dosageOf(statement: XmlNode, path: string, warnings: string[]): Dosage | undefined {
  const dosage: Dosage = {};
  const text = narrativeOf(at(statement, 'text'));
  if (text) dosage.text = text;
  const route = toCodeableConcept(at(statement, 'routeCode'));
  if (route) dosage.route = route;
  // Several doses or periods in one administration ("1 cp then ½ cp"): the first dose was the dose of the whole
  // treatment. Only the text says which dose goes with which period.
  if (schedulesInOneAdministration(statement, mainEffectiveTime(statement))) {
    warnings.push(`Entry ${path}: ${SCHEDULE_IN_ONE_ADMINISTRATION}`);
    return Object.keys(dosage).length ? dosage : undefined;
  }
  const dose = at(statement, 'doseQuantity');
  const doseQuantity = toQuantity(dose);
  const doseRange = toRange(dose);
  if (doseQuantity) dosage.doseAndRate = [{ doseQuantity }];
  else if (doseRange) dosage.doseAndRate = [{ doseRange }];
  const times = childrenNamed(statement, 'effectiveTime').flatMap((t) => (attr(t, 'xsi:type') === 'SXPR_TS' ? childrenNamed(t, 'comp') : [t]));
  const periodic = times.filter((t) => attr(t, 'xsi:type') === 'PIVL_TS');
  const repeat: TimingRepeat = {};
  // One PIVL is one frequency. Two (08:00 and 20:00, every day) are twice a day, which the first one alone made once a
  // day: the frequency is then not stated (the narrative keeps it) and a warning says so.
  const period = periodic.length === 1 ? toQuantity(at(periodic[0], 'period')) : undefined;
  const unit = period?.unit && UCUM_TIME[period.unit];
  if (period?.value && unit) Object.assign(repeat, { frequency: 1, period: period.value, periodUnit: unit });
  if (periodic.length > 1) warnings.push(`Entry ${path}: ${periodic.length} periodic times (PIVL_TS); the frequency is not represented`);
  // An event (EIVL_TS: before meals, at bedtime) was dropped: "at meals" became a dose with no time.
  for (const time of times.filter((t) => attr(t, 'xsi:type') === 'EIVL_TS')) {
    const event = attr(at(time, 'event'), 'code');
    if (event && TIMING_EVENTS.has(event)) repeat.when = [...(repeat.when ?? []), event as NonNullable<TimingRepeat['when']>[number]];
    else warnings.push(`Entry ${path}: administration event ${event ?? '(none)'} is not a FHIR timing event; not represented`);
  }
  if (Object.keys(repeat).length) dosage.timing = { repeat };
  return Object.keys(dosage).length ? dosage : undefined;
}
