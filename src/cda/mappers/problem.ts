import type { Condition } from '@medplum/fhirtypes';
import { at } from '../cda-node';
import { toCodeableConcept, toDateTimeOf } from '../datatypes';
import { extractedBase, isNegated } from '../mapping-context';
import { absenceCoding, absenceInWords, isUnidentified } from './absence';
import { isStatusObservation, statedClinicalStatus, type ClinicalStatus } from './clinical-status';
import type { XmlNode } from '../xml-tree';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { isStatedQualifier, statedVerification } from './stated-qualifiers';
import { reportRefusedParts, uncertaintyOf, unmadeObservation, withoutRefusedParts } from '../statement-guards';
import { addNotes, narrativeNotes } from './narrative-notes';
import { conditionSeverity, isSeverityObservation } from './severity';
import { endedAtUnknownTime, isCcdaStatement } from './unknown-end';

const PROBLEM_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.4.5', // IHE PCC Problem Entry
  '2.16.840.1.113883.10.20.22.4.4', // C-CDA Problem Observation
  '2.16.840.1.113883.10.20.1.28', // CCD Problem observation
  '1.2.250.1.213.1.1.3.37', // CI-SIS FR-Probleme
];
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';

/** Problem observation (usually inside a problem concern act) → Condition; the value is the diagnosis. */
export const problemMapper: EntryMapper = {
  name: 'problem',
  readsUncertainty: true,
  matches: (templateIds) => hasAnyTemplate(templateIds, PROBLEM_TEMPLATES),
  map(written, location, ctx) {
    // A status or certainty observation that is negated ("not active"), entered in error, about someone else or not an
    // observation made (another mood) does not say what the patient's problem is: it set the clinical status anyway.
    const { kept: statement, refused } = withoutRefusedParts(written, location.path, (part) => (isStatusObservation(part) || isStatedQualifier(part) || isSeverityObservation(part) ? ['EVN'] : undefined));
    const refuted = isNegated(statement);
    const value = toCodeableConcept(at(statement, 'value'));
    const type = toCodeableConcept(at(statement, 'code'));
    // "No known problems" (an absence code, or a negated generic "problem") and a problem whose value is a
    // nullFlavor beside a generic type state no particular condition.
    const inWords = absenceInWords(value);
    if (absenceCoding(value, type) || inWords || (isUnidentified(value) && isUnidentified(type)) || (refuted && isUnidentified(value))) {
      ctx.warnings.push(`Entry ${location.path}: ${refuted || inWords || absenceCoding(value, type) ? 'states no known problem' : 'problem without an identified condition'}; not represented`);
      return;
    }
    const unmade = unmadeObservation(statement);
    if (unmade !== undefined) {
      ctx.warnings.push(`Entry ${location.path}: problem ${unmade}; not represented`);
      return;
    }
    const uncertainty = uncertaintyOf(statement);
    // "Perhaps not diabetic": R4 has no unconfirmed refutation (refuted would be a fact).
    if (uncertainty !== undefined && refuted) {
      ctx.warnings.push(`Entry ${location.path}: negated problem stated with uncertainty (uncertaintyCode="${uncertainty}"); not represented`);
      return;
    }
    const statuses = refused.filter((p) => isStatusObservation(p.node));
    const statusNegated = statuses.some((p) => p.negated);
    reportRefusedParts(ctx, location, statuses, () => 'problem status observation', `not represented; ${statusNegated ? 'the problem is given no clinical status' : 'the clinical status is read from the dates'}`);
    reportRefusedParts(ctx, location, refused.filter((p) => !statuses.includes(p)), (part) => (isSeverityObservation(part) ? 'problem severity observation' : 'problem certainty observation'));
    const resolved = !!toDateTimeOf(at(statement, 'effectiveTime/high'));
    // A certainty observation ("Non confirmé") decides, else the statement is taken as made: confirmed or refuted.
    const stated = statedVerification(statement);
    // A problem stated with uncertainty (uncertaintyCode="U": suspected) is not confirmed: it was. A certainty
    // observation saying more precisely how (provisional, differential) is kept; one saying confirmed contradicts it.
    const uncertainVerification = stated && stated !== 'confirmed' && stated !== 'refuted' ? stated : 'unconfirmed';
    if (uncertainty !== undefined && stated === 'confirmed') ctx.warnings.push(`Entry ${location.path}: problem stated with uncertainty but its certainty observation says confirmed; kept unconfirmed`);
    const verification = refuted ? 'refuted' : uncertainty !== undefined ? uncertainVerification : (stated ?? 'confirmed');
    const condition: Condition = {
      resourceType: 'Condition',
      ...extractedBase(ctx, statement, location.path),
      verificationStatus: { coding: [{ system: VERIFICATION, code: verification }] },
      category: [{ coding: [{ system: CATEGORY, code: 'problem-list-item' }] }],
      subject: ctx.patient,
    };
    // The status observation says what the problem is now (see clinicalStatusOf). A negated one says what it is not
    // ("not active": inactive, resolved or in remission?), so the problem gets no clinical status rather than one read
    // from the dates against what the document says (R4 con-3 is a warning only).
    if (verification !== 'refuted' && verification !== 'entered-in-error' && !statusNegated) {
      const stated = clinicalStatusOf(statement, resolved, location.path, ctx.warnings);
      if (stated) condition.clinicalStatus = { coding: [{ system: CLINICAL, code: stated }] };
    }
    const { severity, warning } = conditionSeverity(statement, location.path);
    if (severity) condition.severity = severity;
    if (warning) ctx.warnings.push(warning);
    const code = isUnidentified(value) ? type : value;
    if (code) condition.code = code;
    const onset = toDateTimeOf(at(statement, 'effectiveTime/low')) ?? toDateTimeOf(at(statement, 'effectiveTime'));
    if (onset) condition.onsetDateTime = onset;
    const abatement = toDateTimeOf(at(statement, 'effectiveTime/high'));
    if (abatement) condition.abatementDateTime = abatement;
    addNotes(condition, narrativeNotes(ctx, location, at(statement, 'value')));
    ctx.builder.add(condition, ctx.builder.urnFor(`problem:${location.path}`));
  },
};

/**
 * The clinical status the document supports. A status observation says what the problem is now; an end date alone
 * means resolved; no end, active. An end written `<high nullFlavor="UNK"/>` is read by the template that writes it:
 * C-CDA (Problem Observation, R2.1 to 4.0) says the effectiveTime is the definitive indication, a high present means
 * "resolved, in remission or otherwise inactive" and UNK is how it writes "ended, date not known": `inactive`, the
 * parent of the three. The CI-SIS writes the same `<high nullFlavor="UNK"/>` where the end is simply not known (its
 * examples put it on treatments still running), so in a document without the C-CDA template it says neither
 * "ongoing" nor "ended": no clinical status (R4 con-3 is a warning), and a warning. A stated status that says active
 * against a C-CDA "ended" is a contradiction: no status either. It was `active` in every case.
 */
function clinicalStatusOf(statement: XmlNode, resolved: boolean, path: string, warnings: string[]): ClinicalStatus | undefined {
  const stated = statedClinicalStatus(statement);
  const unknownEnd = endedAtUnknownTime(statement);
  if (!unknownEnd) return stated ?? (resolved ? 'resolved' : 'active');
  const ccda = isCcdaStatement(statement);
  if (stated && !ACTIVE_STATUSES.has(stated)) return stated;
  if (stated) {
    if (!ccda) return stated;
    warnings.push(`Entry ${path}: problem status "${stated}" but an end at an unknown date (effectiveTime/high nullFlavor="UNK", C-CDA: ended); no clinical status given`);
    return undefined;
  }
  if (ccda) return 'inactive';
  warnings.push(`Entry ${path}: problem end date unknown (effectiveTime/high nullFlavor="UNK") and no status observation: whether it is still active is not stated; no clinical status given`);
  return undefined;
}

const ACTIVE_STATUSES: ReadonlySet<ClinicalStatus> = new Set(['active', 'recurrence', 'relapse']);
