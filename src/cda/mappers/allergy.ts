import type { AllergyIntolerance, AllergyIntoleranceReaction, CodeableConcept } from '@medplum/fhirtypes';
import { at, attr, childrenNamed } from '../cda-node';
import { toCodeableConcept, toDateTimeOf } from '../datatypes';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import type { XmlNode } from '../xml-tree';
import { absenceCoding, absenceConcept, absenceInWords, isUnidentified, noKnownAllergyCode } from './absence';
import { relatedObservations } from './clinical-common';
import { isStatusObservation, statedClinicalStatus } from './clinical-status';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { partRefusal, reportRefusedParts, uncertaintyOf, unmadeObservation, withoutRefusedParts } from '../statement-guards';
import { isStatedQualifier, statedCriticality, statedVerification } from './stated-qualifiers';
import { addNotes, narrativeNotes } from './narrative-notes';
import { isSeverityObservation, reactionSeverity, severityParts } from './severity';
import { endedAtUnknownTime, isCcdaStatement } from './unknown-end';

const ALLERGY_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.4.6', // IHE PCC Allergy and Intolerance
  '2.16.840.1.113883.10.20.22.4.7', // C-CDA Allergy - Intolerance Observation
  '2.16.840.1.113883.10.20.1.18', // CCD Alert observation
  '1.2.250.1.213.1.1.3.41', // CI-SIS FR-Allergie-ou-hypersensibilite
];
const CLINICAL_STATUS = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const VERIFICATION_STATUS = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

/**
 * The allergy's clinical status from its status observation; without one, an end date (`effectiveTime/high`: "no
 * longer a concern" in IHE PCC and C-CDA, as for problems) means resolved — it was read as active — else active.
 * An end written `<high nullFlavor="UNK"/>` means "ended, date not known" in a C-CDA allergy observation (inactive),
 * and "end not known" in the CI-SIS: there R4 still requires a status (ait-1) and the one that does not hide an
 * allergy that may be current is active, said in a warning. It was active in both.
 */
function clinicalStatusOf(statement: XmlNode, path: string, warnings: string[]): 'active' | 'inactive' | 'resolved' {
  const stated = statedClinicalStatus(statement);
  if (stated === 'resolved') return 'resolved';
  if (stated === 'inactive' || stated === 'remission') return 'inactive';
  if (stated === undefined && toDateTimeOf(at(statement, 'effectiveTime/high'))) return 'resolved';
  if (stated === undefined && endedAtUnknownTime(statement)) {
    if (isCcdaStatement(statement)) return 'inactive';
    warnings.push(`Entry ${path}: allergy end date unknown (effectiveTime/high nullFlavor="UNK") and no status observation; kept active, whether it has ended is not stated`);
  }
  return 'active';
}

/**
 * Allergy/intolerance observation (usually inside a concern act) → AllergyIntolerance. "No known allergy" (its
 * SNOMED CT/IPS code, or a negated allergy to no particular agent) becomes the FHIR "no known allergy" resource;
 * an allergy whose agent is a nullFlavor or missing altogether states nothing and is not represented.
 */
export const allergyMapper: EntryMapper = {
  name: 'allergy',
  readsUncertainty: true,
  matches: (templateIds) => hasAnyTemplate(templateIds, ALLERGY_TEMPLATES),
  map(written, location, ctx) {
    // A status, certainty or criticality observation negated, entered in error, about someone else or in another mood
    // does not qualify this allergy. The clinical status is then read as without one (from the dates): R4 requires one
    // (ait-1) and a negated status ("not active") does not say which other it is.
    const { kept: statement, refused } = withoutRefusedParts(written, location.path, (part) => (isStatusObservation(part) || isStatedQualifier(part) || isSeverityObservation(part) ? ['EVN'] : undefined));
    const statuses = refused.filter((p) => isStatusObservation(p.node));
    reportRefusedParts(ctx, location, statuses, () => 'allergy status observation', 'not represented; the clinical status is read from the dates');
    reportRefusedParts(ctx, location, refused.filter((p) => !statuses.includes(p)), (part) => (isSeverityObservation(part) ? 'allergy severity observation' : 'allergy certainty or criticality observation'));
    const unmade = unmadeObservation(statement);
    if (unmade !== undefined) {
      ctx.warnings.push(`Entry ${location.path}: allergy ${unmade}; not represented`);
      return;
    }
    const negated = isNegated(statement);
    const agent = toCodeableConcept(at(agentParticipant(statement), 'participantRole/playingEntity/code'));
    const value = toCodeableConcept(at(statement, 'value'));
    const type = toCodeableConcept(at(statement, 'code'));
    const absence = absenceCoding(value, agent, type);
    // "Perhaps no allergy to X", "perhaps no known allergy": R4 has no unconfirmed refutation nor an uncertain absence.
    if (uncertaintyOf(statement) !== undefined && (negated || absence || (isUnidentified(agent) && isUnidentified(value)))) {
      ctx.warnings.push(`Entry ${location.path}: negated or "no known allergy" statement stated with uncertainty (uncertaintyCode="${uncertaintyOf(statement)}"); not represented`);
      return;
    }
    if (absence && negated) {
      ctx.warnings.push(`Entry ${location.path}: a negated "no known allergy" is a double negation; not represented`);
      return;
    }
    if (absence || (negated && isUnidentified(agent) && isUnidentified(value))) {
      addAllergy(statement, location, ctx, { code: absence ? absenceConcept(absence) : noKnownAllergyCode(value, type, agent), refuted: false, absence: true });
      return;
    }
    // « Pas d'allergie connue » written as the agent's or the value's words is no allergy to anything: it was an
    // active allergy named by those words. Which absence (any, drug, food) the words mean is not read: reported.
    if (absenceInWords(agent) || (isUnidentified(agent) && absenceInWords(value))) {
      ctx.warnings.push(`Entry ${location.path}: allergy entry whose words state an absence; not represented`);
      return;
    }
    if (isUnidentified(agent) && isUnidentified(value) && !value?.text) {
      ctx.warnings.push(`Entry ${location.path}: allergy entry without an identified agent (nullFlavor or no code); not represented`);
      return;
    }
    // Substance first; a value that is only text keeps the allergy-type code beside that text.
    const code =
      (isUnidentified(agent) ? undefined : agent) ??
      (value?.coding ? value : undefined) ??
      (type || value ? { ...type, ...(value?.text ? { text: value.text } : {}) } : undefined);
    addAllergy(statement, location, ctx, { code, refuted: negated, absence: false });
  },
};

function addAllergy(
  statement: XmlNode, location: EntryLocation, ctx: MappingContext, facts: { code?: CodeableConcept; refuted: boolean; absence: boolean },
): void {
  const allergy: AllergyIntolerance = {
    resourceType: 'AllergyIntolerance',
    ...extractedBase(ctx, statement, location.path),
    verificationStatus: { coding: [{ system: VERIFICATION_STATUS, code: facts.refuted ? 'refuted' : 'confirmed' }] },
    patient: ctx.patient,
  };
  // A refuted allergy has no clinical status (invariant ait-2); "no known allergy" is a currently true statement.
  if (!facts.refuted) {
    allergy.clinicalStatus = { coding: [{ system: CLINICAL_STATUS, code: facts.absence ? 'active' : clinicalStatusOf(statement, location.path, ctx.warnings) }] };
  }
  if (facts.code) allergy.code = facts.code;
  // A certainty observation saying "unconfirmed" is kept: an unconfirmed allergy is not a confirmed one.
  const verification = facts.refuted || facts.absence ? undefined : statedVerification(statement);
  if (verification && verification !== 'refuted') allergy.verificationStatus = { coding: [{ system: VERIFICATION_STATUS, code: verification }] };
  // An allergy stated with uncertainty (uncertaintyCode="U") is not confirmed, whatever a certainty observation adds.
  if (uncertaintyOf(statement) !== undefined && !facts.refuted && !facts.absence) {
    if (verification === 'confirmed') ctx.warnings.push(`Entry ${location.path}: allergy stated with uncertainty but its certainty observation says confirmed; kept unconfirmed`);
    allergy.verificationStatus = { coding: [{ system: VERIFICATION_STATUS, code: 'unconfirmed' }] };
  }
  const criticality = facts.absence ? undefined : statedCriticality(statement);
  if (criticality) allergy.criticality = criticality;
  if (facts.absence) {
    ctx.builder.add(allergy, ctx.builder.urnFor(`allergy:${location.path}`));
    return;
  }
  const onset = toDateTimeOf(at(statement, 'effectiveTime/low')) ?? toDateTimeOf(at(statement, 'effectiveTime'));
  if (onset) allergy.onsetDateTime = onset;
  // A negated manifestation ("no urticaria"), one in error, about someone else or not observed (another mood) is no
  // manifestation: it was listed as one of the reaction's signs. Each reaction observation is one reaction, with its
  // own severity (IPS-FR grades each manifestation: one « modéré », the other « léger »; one reaction could hold one).
  const reactions: AllergyIntoleranceReaction[] = [];
  relatedObservations(statement, 'MFST').forEach((o, i) => {
    const refusal = partRefusal(o);
    if (refusal) {
      ctx.warnings.push(`Entry ${location.path}.mfst${i + 1}: allergy manifestation ${refusal}; not represented`);
      return;
    }
    const manifestation = toCodeableConcept(at(o, 'value'));
    if (!manifestation) return;
    const reaction: AllergyIntoleranceReaction = { manifestation: [manifestation] };
    const severity = severityOf(o, `${location.path}.mfst${i + 1}`, ctx);
    if (severity) reaction.severity = severity;
    reactions.push(reaction);
  });
  if (reactions.length) allergy.reaction = reactions;
  // A severity observation on the allergy itself (C-CDA 1.1, IHE PCC) grades no reaction in particular: R4 has a
  // severity per reaction only, and criticality is another concept (the risk of a future reaction).
  for (const part of severityParts(statement, location.path)) {
    ctx.warnings.push(`Entry ${part.path}: severity of the allergy as a whole (not of a reaction); not represented`);
    ctx.unmapped.add(location.section, part.node, part.path);
  }
  if (attr(at(statement, 'code'), 'code') === '419199007' || /allerg/i.test(attr(at(statement, 'code'), 'displayName') ?? '')) {
    allergy.type = 'allergy';
  }
  addNotes(allergy, narrativeNotes(ctx, location, at(statement, 'value'), at(agentParticipant(statement), 'participantRole/playingEntity/code')));
  ctx.builder.add(allergy, ctx.builder.urnFor(`allergy:${location.path}`));
}

/**
 * The participant naming the agent: the consumable (`typeCode="CSM"`, IHE PCC, C-CDA, CI-SIS), else one without a
 * typeCode. The first participant was taken whatever its role: a location or a device listed first became the allergen.
 */
function agentParticipant(statement: XmlNode): XmlNode | undefined {
  const participants = childrenNamed(statement, 'participant');
  return participants.find((p) => attr(p, 'typeCode') === 'CSM') ?? participants.find((p) => attr(p, 'typeCode') === undefined);
}

/** The severity of one reaction observation, read only when stated as a fact (not negated, in error, another mood…). */
function severityOf(reaction: XmlNode, path: string, ctx: MappingContext): AllergyIntoleranceReaction['severity'] | undefined {
  const parts = severityParts(reaction, path);
  const kept = parts.filter((p) => {
    const refusal = partRefusal(p.node);
    if (refusal) ctx.warnings.push(`Entry ${p.path}: reaction severity observation: ${refusal}; not represented`);
    return !refusal;
  });
  if (kept.length > 1) {
    ctx.warnings.push(`Entry ${path}: ${kept.length} severity observations for one reaction; not represented`);
    return undefined;
  }
  if (!kept.length) return undefined;
  const { severity, warning } = reactionSeverity(kept[0].node, kept[0].path);
  if (warning) ctx.warnings.push(warning);
  return severity;
}
