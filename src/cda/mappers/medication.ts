import type { CodeableConcept, Dosage, MedicationStatement, TimingRepeat } from '@medplum/fhirtypes';
import { at, attr, childrenNamed, templateIds } from '../cda-node';
import { narrativeOf } from '../narrative-references';
import { toDateTimeOf, toPeriod, toQuantity, toRange } from '../datatypes';
import { hasUnresolvedBound } from '../interval-width';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import { reportRefusedParts, withoutRefusedParts } from '../statement-guards';
import type { XmlNode } from '../xml-tree';
import { absenceCoding, absenceInWords, isUnidentified } from './absence';
import { mainEffectiveTime, productCode, reasonsOf } from './clinical-common';
import { endedBefore } from './clinical-status';
import { addNestedDispenses, isNestedDispense } from './dispense';
import { CLINICAL_STATEMENTS, hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { addNotes, narrativeNotes } from './narrative-notes';
import {
  COMMENT_TEMPLATES, doseOf, PATIENT_INSTRUCTION_TEMPLATES, PIVL_PHASE, phaseDosages, SCHEDULE_IN_ONE_ADMINISTRATION, schedulesInOneAdministration, sharedDosage, subordinatesOf,
  TIMING_EVENTS, UNRESOLVED_PHASE_BOUND, unresolvedPhaseBounds,
} from './prescription-dosage';

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
  map(written, location, ctx) {
    const product = productCode(written);
    // "No known medications" (an absence code, or a negated generic "drug or medication") and a product that is
    // only a nullFlavor say that no treatment is known: not a MedicationStatement of some treatment.
    if (absenceCoding(product) || absenceInWords(product) || isUnidentified(product)) {
      ctx.warnings.push(`Entry ${location.path}: ${isNegated(written) || absenceCoding(product) || absenceInWords(product) ? 'states no known medication' : 'medication without an identified product'}; not represented`);
      return;
    }
    // The parts read as stated: a phase, an instruction or a reason negated, entered in error or about someone else
    // (an observation or reason also in another mood than EVN) is left out and reported. Deliveries have their own guard.
    const { kept: statement, refused } = withoutRefusedParts(written, location.path, (part, relation) =>
      part.name === 'supply' ? undefined : part.name === 'observation' || attr(relation, 'typeCode') === 'RSON' ? ['EVN'] : 'any');
    reportRefusedParts(ctx, location, refused, (part) =>
      part.name === 'substanceAdministration' ? 'dosage phase (subordinate substanceAdministration)' : `statement inside the treatment (${part.name}${templateIds(part).length ? ` ${templateIds(part).join(', ')}` : ''})`);
    const statement_: MedicationStatement = {
      resourceType: 'MedicationStatement',
      ...extractedBase(ctx, statement, location.path),
      status: statusOf(statement, ctx.documentTime),
      medicationCodeableConcept: product as CodeableConcept,
      subject: ctx.patient,
    };
    const period = toPeriod(mainEffectiveTime(statement));
    if (period) statement_.effectivePeriod = period;
    // Why it is taken (RSON): dropped before, with nothing reported.
    const reasons = reasonsOf(statement);
    if (reasons.length) statement_.reasonCode = reasons;
    addNotes(statement_, narrativeNotes(ctx, location, at(statement, 'consumable/manufacturedProduct/manufacturedMaterial/code')));
    addNotes(statement_, commentsOf(statement).filter((text) => !statement_.note?.some((n) => n.text === text)).map((text) => ({ text })));
    addDosage(statement_, statement, location, ctx);
    reportUnrepresented(written, location, ctx, new Set(refused.map((r) => r.node)));
    ctx.builder.add(statement_, ctx.builder.urnFor(`medication:${location.path}`));
    addNestedDispenses(written, product as CodeableConcept, location, ctx);
  },
};

/** The comments inside the entry (CCD Comment, IHE PCC Comment, FR-Commentaire-ER), as written. */
function commentsOf(statement: XmlNode): string[] {
  return childrenNamed(statement, 'entryRelationship')
    .map((r) => at(r, 'act'))
    .filter((act): act is XmlNode => !!act && hasAnyTemplate(templateIds(act), COMMENT_TEMPLATES))
    .map((act) => narrativeOf(at(act, 'text')))
    .filter((text): text is string => !!text);
}

/**
 * Reports, as unmapped content of the entry's section, each statement inside the treatment taken that nothing
 * represents: phases (dosage), patient instructions (`patientInstruction`), comments (`note`), reasons (`reasonCode`)
 * and deliveries (MedicationDispense) are; anything else (dispenser instructions, a reference to the prescription, an
 * observation, a supply ordered) was dropped with nothing said, and is now named with its path (`s1.e2.r3`).
 */
function reportUnrepresented(statement: XmlNode, location: EntryLocation, ctx: MappingContext, reported: ReadonlySet<XmlNode>): void {
  let k = 0;
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    for (const node of relation.children.filter((c) => CLINICAL_STATEMENTS.has(c.name))) {
      k++;
      if (reported.has(node) || isRepresentedPart(relation, node)) continue;
      ctx.unmapped.add(location.section, node, `${location.path}.r${k}`);
    }
  }
}

function isRepresentedPart(relation: XmlNode, node: XmlNode): boolean {
  if (node.name === 'substanceAdministration') return true; // a phase: one dosage each
  if (node.name === 'supply') return isNestedDispense(node); // a delivery: a MedicationDispense (`addNestedDispenses`)
  if (attr(relation, 'typeCode') === 'RSON' && (node.name === 'observation' || node.name === 'act')) return true;
  return node.name === 'act' && hasAnyTemplate(templateIds(node), [...PATIENT_INSTRUCTION_TEMPLATES, ...COMMENT_TEMPLATES]);
}

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
  // A start and a width whose end cannot be computed ("June 2025, for 5 days"): whether it has ended is not known.
  if (hasUnresolvedBound(time)) return 'unknown';
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
 * in one administration keep only the text. What the main entry says of every administration — route, site, patient
 * instructions, the "as needed" condition, the maximum dose (`sharedDosage`) — goes with each; only the route did, so
 * a medicine taken "if pain", at most 3 a day, read as a regular one with no cap.
 */
function addDosage(resource: MedicationStatement, statement: XmlNode, location: EntryLocation, ctx: MappingContext): void {
  const said: string[] = [];
  const shared = sharedDosage(statement, said);
  if (subordinatesOf(statement).length) {
    const phases = phaseDosages(statement, shared, said);
    if (schedulesInOneAdministration(statement)) ctx.warnings.push(`Entry ${location.path}: ${SCHEDULE_IN_ONE_ADMINISTRATION}`);
    if (phases.length) resource.dosage = phases;
    const text = narrativeOf(at(statement, 'text'));
    if (text && !resource.note?.some((n) => n.text === text)) addNotes(resource, [{ text }]);
  } else {
    const dosage = { ...shared, ...dosageOf(statement, location.path, ctx.warnings, said) };
    if (Object.keys(dosage).length) resource.dosage = [dosage];
  }
  for (const s of new Set(said)) ctx.warnings.push(`Entry ${location.path}: ${s}`);
  if (unresolvedPhaseBounds(statement)) ctx.warnings.push(`Entry ${location.path}: ${UNRESOLVED_PHASE_BOUND}`);
}

function dosageOf(statement: XmlNode, path: string, warnings: string[], said: string[]): Dosage {
  const dosage: Dosage = {};
  const text = narrativeOf(at(statement, 'text'));
  if (text) dosage.text = text;
  // Several doses or periods in one administration ("1 cp then ½ cp"): the first dose was the dose of the whole
  // treatment. Only the text says which dose goes with which period.
  if (schedulesInOneAdministration(statement, mainEffectiveTime(statement))) {
    warnings.push(`Entry ${path}: ${SCHEDULE_IN_ONE_ADMINISTRATION}`);
    return dosage;
  }
  const doseAndRate: NonNullable<Dosage['doseAndRate']>[number] = { ...doseOf(statement, said) };
  // The rate of an infusion (mL/h) was dropped: a dose with no rate.
  const rate = at(statement, 'rateQuantity');
  const rateQuantity = toQuantity(rate);
  const rateRange = rateQuantity ? undefined : toRange(rate);
  if (rateQuantity) doseAndRate.rateQuantity = rateQuantity;
  else if (rateRange) doseAndRate.rateRange = rateRange;
  if (Object.keys(doseAndRate).length) dosage.doseAndRate = [doseAndRate];
  const times = childrenNamed(statement, 'effectiveTime').flatMap((t) => (attr(t, 'xsi:type') === 'SXPR_TS' ? childrenNamed(t, 'comp') : [t]));
  const periodic = times.filter((t) => attr(t, 'xsi:type') === 'PIVL_TS');
  const repeat: TimingRepeat = {};
  // One PIVL is one frequency. Two (08:00 and 20:00, every day) are twice a day, which the first one alone made once a
  // day: the frequency is then not stated (the narrative keeps it) and a warning says so.
  if (periodic.some((t) => at(t, 'phase'))) said.push(PIVL_PHASE);
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
  return dosage;
}
