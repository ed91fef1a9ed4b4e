import type { Annotation, CodeableConcept, MedicationRequest, Practitioner, Quantity, Reference } from '@medplum/fhirtypes';
import { all, at, attr, childrenNamed, templateIds } from '../cda-node';
import { toCoding, toDateTime, toPeriod, toQuantity } from '../datatypes';
import { hasUnresolvedBound } from '../interval-width';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import { narrativeOf } from '../narrative-references';
import type { XmlNode } from '../xml-tree';
import { absenceCoding, absenceInWords, isUnidentified } from './absence';
import { mainEffectiveTime, productCode, reasonsOf } from './clinical-common';
import { endedBefore } from './clinical-status';
import { CLINICAL_STATEMENTS, hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { MEDICATION_TEMPLATES } from './medication';
import { addNotes, narrativeNotes } from './narrative-notes';
import {
  ambiguousFrequencies, COMMENT_TEMPLATES, dosageInstructions, PATIENT_INSTRUCTION_TEMPLATES, SCHEDULE_IN_ONE_ADMINISTRATION, schedulesInOneAdministration,
  UNRESOLVED_PHASE_BOUND, unresolvedPhaseBounds,
} from './prescription-dosage';
import { applyLineQualifiers } from './prescription-qualifiers';
import { reportRefusedParts, withoutRefusedParts } from '../statement-guards';

/** A prescription line: IHE PHARM PRE Prescription Item, CI-SIS FR-Traitement-prescrit. */
const PRESCRIPTION_ITEM_TEMPLATES = ['1.3.6.1.4.1.19376.1.9.1.3.2', '1.2.250.1.213.1.1.3.83'];
/** Moods of a treatment asked for, not given: intent (INT), request (RQO), proposal (PRP). */
const REQUEST_MOODS = new Set(['INT', 'RQO', 'PRP']);
/** IHE PHARM / CI-SIS amount of product to dispense (FR-Quantite-de-produit). */
const QUANTITY_TEMPLATES = ['1.3.6.1.4.1.19376.1.9.1.3.8', '1.2.250.1.213.1.1.3.86'];
/** IHE PHARM Substitution Permission / CI-SIS FR-Autorisation-Substitution. */
const SUBSTITUTION_TEMPLATES = ['1.3.6.1.4.1.19376.1.9.1.3.9.1', '1.2.250.1.213.1.1.3.87'];
/** EDQM Standard Terms: CI-SIS gives the unit of a prescribed amount as an EDQM packaging code ("30009000" = box). */
const EDQM_SYSTEM = 'urn:oid:0.4.0.127.0.16.1.1.2.1';
/**
 * The treatment period ("durée du traitement"): R4 MedicationRequest has no element for it (dosage bounds are per
 * instruction, and tapered doses have one instruction per step), so it travels in the FHIR cross-version extension of
 * R5's `MedicationRequest.effectiveDosePeriod`.
 */
export const EFFECTIVE_DOSE_PERIOD_EXTENSION = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationRequest.effectiveDosePeriod';

/**
 * A medication prescribed or planned (substanceAdministration in INT/RQO/PRP mood) → MedicationRequest: `intent` order
 * for a prescription line (or a request), plan for a treatment a care plan intends, proposal for one proposed; status
 * from the treatment period against the document's date; medication, dosage, requester, reason, amount, renewals and
 * substitution as stated, and the line's qualifiers (ALD, AT/MP, prevention, not reimbursed, off-label, dispenser
 * instructions, renewal period: prescription-qualifiers.ts). A statement inside the line that none of these represents
 * is reported as unmapped, like an entry: nothing it says is silently lost. A treatment asked for is not a treatment
 * taken: never a MedicationStatement.
 */
export const prescriptionMapper: EntryMapper = {
  name: 'prescription',
  representsIntent: true,
  moods: [...REQUEST_MOODS],
  matches: (ids, node) =>
    node.name === 'substanceAdministration' &&
    REQUEST_MOODS.has(attr(node, 'moodCode') ?? '') &&
    hasAnyTemplate(ids, [...MEDICATION_TEMPLATES, ...PRESCRIPTION_ITEM_TEMPLATES]),
  map(written, location, ctx) {
    const product = productCode(written);
    // "No drug therapy prescribed" and a product that is only a nullFlavor prescribe nothing identifiable.
    if (absenceCoding(product) || absenceInWords(product) || isUnidentified(product)) {
      ctx.warnings.push(`Entry ${location.path}: ${absenceCoding(product) || absenceInWords(product) ? 'states no medication prescribed' : 'prescription without an identified product'}; not represented`);
      return;
    }
    const { statement, refused } = guardedLine(written, location, ctx);
    const intent = intentOf(statement);
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      ...extractedBase(ctx, statement, location.path),
      status: statusOf(statement, ctx.documentTime),
      intent,
      medicationCodeableConcept: product as CodeableConcept,
      subject: ctx.patient,
    };
    const period = toPeriod(mainEffectiveTime(statement));
    if (period) request.extension = [...(request.extension ?? []), { url: EFFECTIVE_DOSE_PERIOD_EXTENSION, valuePeriod: period }];
    // A negated prescription of a named product is an instruction not to give it, not the absence of a prescription.
    if (isNegated(statement)) request.doNotPerform = true;
    const who = authorOf(statement, location, ctx, intent === 'order');
    if (who.time) request.authoredOn = who.time;
    if (who.requester) request.requester = who.requester;
    const reasons = reasonsOf(statement);
    if (reasons.length) request.reasonCode = reasons;
    const said: string[] = [];
    const dosage = dosageInstructions(statement, mainEffectiveTime(statement), said);
    for (const s of new Set(said)) ctx.warnings.push(`Entry ${location.path}: ${s}`);
    if (unresolvedPhaseBounds(statement)) ctx.warnings.push(`Entry ${location.path}: ${UNRESOLVED_PHASE_BOUND}`);
    if (ambiguousFrequencies(statement)) ctx.warnings.push(`Entry ${location.path}: several periodic times (PIVL_TS) for one administration; the frequency is not represented`);
    if (schedulesInOneAdministration(statement, mainEffectiveTime(statement))) ctx.warnings.push(`Entry ${location.path}: ${SCHEDULE_IN_ONE_ADMINISTRATION}`);
    if (dosage.length) request.dosageInstruction = dosage;
    const dispense = dispenseRequestOf(statement);
    if (dispense) request.dispenseRequest = dispense;
    const substitution = substitutionOf(statement);
    if (substitution) request.substitution = substitution;
    addNotes(request, notesOf(statement, location, ctx).filter((n) => n.text !== product?.text));
    reportUncodedProductDetails(statement, location, ctx, product as CodeableConcept);
    const consumed = new Set<XmlNode>();
    applyLineQualifiers(request, statement, consumed);
    reportUnrepresented(written, location, ctx, consumed, refused);
    ctx.builder.add(request, ctx.builder.urnFor(`prescription:${location.path}`));
  },
};

/**
 * The line without the statements inside it that cannot be read as they would be: a qualifier (ALD, not reimbursed,
 * off-label …) or a reason that is negated, entered in error, about someone else, or an observation or reason in
 * another mood than EVN; a dosage step, an instruction, an amount negated, in error or about someone else (their own
 * moods, INT, RQO, DEF, are what they are meant in). Each was read as stated: a negated « en rapport avec l'ALD »
 * true made the line an ALD one, a relative's condition its reason. Each is reported, as unmapped. (A precondition
 * whose criterion is negated is read by `asNeededOf`, prescription-dosage.ts.)
 */
function guardedLine(written: XmlNode, location: EntryLocation, ctx: MappingContext): { statement: XmlNode; refused: ReadonlySet<XmlNode> } {
  const { kept, refused } = withoutRefusedParts(written, location.path, (part, relation) =>
    part.name === 'observation' || attr(relation, 'typeCode') === 'RSON' ? ['EVN'] : 'any');
  reportRefusedParts(ctx, location, refused, (part) => `statement inside the prescription line (${part.name}${templateIds(part).length ? ` ${templateIds(part).join(', ')}` : ''})`);
  return { statement: kept, refused: new Set(refused.map((p) => p.node)) };
}

/** order: a prescription line or a request (RQO); proposal: PRP; plan: a treatment a plan of care intends (INT). */
function intentOf(statement: XmlNode): MedicationRequest['intent'] {
  const mood = attr(statement, 'moodCode');
  if (mood === 'PRP') return 'proposal';
  if (mood === 'RQO' || hasAnyTemplate(templateIds(statement), PRESCRIPTION_ITEM_TEMPLATES)) return 'order';
  return 'plan';
}

/**
 * In force (`active`) while the treatment period has no end, or ends on or after the document's date; `completed` once
 * it ended before. `statusCode=completed` is the act of prescribing (every CI-SIS line carries it), never the
 * treatment's end; a stated interruption, cancellation or error is kept.
 */
function statusOf(statement: XmlNode, documentTime: string | undefined): MedicationRequest['status'] {
  const status = attr(at(statement, 'statusCode'), 'code');
  if (status === 'nullified') return 'entered-in-error';
  if (status === 'aborted') return 'stopped';
  if (status === 'cancelled') return 'cancelled';
  if (status === 'suspended') return 'on-hold';
  // "For 5 days" from a month ("June 2025"): whether it has ended is not known; it was `active` for ever.
  if (hasUnresolvedBound(mainEffectiveTime(statement))) return 'unknown';
  return endedBefore(mainEffectiveTime(statement), documentTime) ? 'completed' : 'active';
}

/**
 * Who prescribed and when: the entry's author, else its section's. The document's author and date stand for them only
 * for a prescription line (the prescription document is signed by its prescriber on its date); a care plan copied into a
 * summary may have been written by someone else, earlier, so it gets no requester it does not name.
 */
function authorOf(
  statement: XmlNode, location: EntryLocation, ctx: MappingContext, prescription: boolean,
): { requester?: Reference<Practitioner>; time?: string } {
  const authors = [...all(statement, 'author'), ...all(location.section, 'author')];
  let requester: Reference<Practitioner> | undefined;
  let time: string | undefined;
  for (const author of authors) {
    requester ??= ctx.practitionerOf(at(author, 'assignedAuthor'));
    time ??= toDateTime(attr(at(author, 'time'), 'value'));
  }
  if (prescription) {
    requester ??= ctx.practitionerOf(ctx.documentAuthor);
    time ??= ctx.documentTime;
  }
  return { requester, time };
}

/** Amount to dispense (FR-Quantite-de-produit, unit as the EDQM packaging code it is) and renewals (`repeatNumber`). */
function dispenseRequestOf(statement: XmlNode): MedicationRequest['dispenseRequest'] | undefined {
  const dispense: NonNullable<MedicationRequest['dispenseRequest']> = {};
  const supply = childrenNamed(statement, 'entryRelationship')
    .map((r) => at(r, 'supply'))
    .find((s) => s && hasAnyTemplate(templateIds(s), QUANTITY_TEMPLATES));
  const quantity = amountOf(at(supply, 'quantity'));
  if (quantity) dispense.quantity = quantity;
  const renewals = attr(at(statement, 'repeatNumber'), 'value');
  if (renewals !== undefined && /^\d+$/.test(renewals)) dispense.numberOfRepeatsAllowed = Number(renewals);
  return Object.keys(dispense).length ? dispense : undefined;
}

/** A prescribed amount: UCUM units as usual; an EDQM code as unit (digits only) is a code of EDQM, not of UCUM. */
function amountOf(pq: XmlNode | undefined): Quantity | undefined {
  const quantity = toQuantity(pq);
  const unit = attr(pq, 'unit');
  if (!quantity || !unit || !/^\d+$/.test(unit)) return quantity;
  const { value, _value: lexical } = quantity as Quantity & { _value?: unknown };
  return { value, ...(lexical ? { _value: lexical } : {}), system: EDQM_SYSTEM, code: unit } as Quantity;
}

/**
 * Substitution permission as its HL7 ActSubstanceAdminSubstitution code (`allowedCodeableConcept`, as the ANS profile
 * binds it): `N` refuses any substitution, `E`, `G`, `TE` … say which one is allowed, a distinction a boolean would lose.
 * The stated reason (narrow therapeutic margin …) is kept as written.
 */
function substitutionOf(statement: XmlNode): MedicationRequest['substitution'] | undefined {
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    const act = at(relation, 'act');
    if (!act || !hasAnyTemplate(templateIds(act), SUBSTITUTION_TEMPLATES)) continue;
    const code = at(act, 'code');
    const coding = toCoding(code);
    if (!coding) return undefined;
    const reason = narrativeOf(at(code, 'originalText'));
    return { allowedCodeableConcept: { coding: [coding] }, ...(reason ? { reason: { text: reason } } : {}) };
  }
  return undefined;
}

/**
 * Reports, as unmapped content of the line's section, each statement inside the line (`entryRelationship`) that
 * nothing represented: the subordinate administrations (dosage steps), reasons, patient instructions, comments, amount
 * and substitution are represented here and in prescription-dosage.ts, the qualifiers in `consumed`; anything else
 * (a reference to a treatment-plan item, a qualifier without a boolean value, a template we do not know) is named.
 */
function reportUnrepresented(
  statement: XmlNode, location: EntryLocation, ctx: MappingContext, consumed: ReadonlySet<XmlNode>, reported: ReadonlySet<XmlNode>,
): void {
  let k = 0;
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    for (const node of relation.children.filter((c) => CLINICAL_STATEMENTS.has(c.name))) {
      k++;
      if (consumed.has(node) || reported.has(node) || isRepresentedPart(relation, node)) continue;
      ctx.unmapped.add(location.section, node, `${location.path}.r${k}`);
    }
  }
}

/**
 * A product with no code (a compounded preparation: `code nullFlavor="NA"`) is identified by its narrative only; the
 * dose form and ingredients the document codes for it (IHE PHARM `pharm:formCode`, `pharm:ingredient`) have no place
 * beside a CodeableConcept without coding, so the import says they were not represented. A coded product (CIS, CIP …)
 * carries them in its code.
 */
function reportUncodedProductDetails(statement: XmlNode, location: EntryLocation, ctx: MappingContext, product: CodeableConcept): void {
  if (product.coding?.length) return;
  const material = at(statement, 'consumable/manufacturedProduct/manufacturedMaterial');
  const details = ['pharm:formCode', 'pharm:ingredient'].filter((name) => childrenNamed(material, name).length);
  if (details.length) ctx.warnings.push(`Entry ${location.path}: product without a code (known by its narrative); its ${details.join(' and ')} ${details.length > 1 ? 'are' : 'is'} not represented`);
}

/** The parts of a line this mapper and the dosage always represent (see `map` and prescription-dosage.ts). */
function isRepresentedPart(relation: XmlNode, node: XmlNode): boolean {
  const ids = templateIds(node);
  if (node.name === 'substanceAdministration') return true; // a dosage step: one dosageInstruction each
  if (attr(relation, 'typeCode') === 'RSON' && (node.name === 'observation' || node.name === 'act')) return true; // reasonCode
  if (node.name === 'act') return hasAnyTemplate(ids, [...PATIENT_INSTRUCTION_TEMPLATES, ...COMMENT_TEMPLATES, ...SUBSTITUTION_TEMPLATES]);
  if (node.name === 'supply') return hasAnyTemplate(ids, QUANTITY_TEMPLATES);
  return false;
}

/** The narrative of the product beside its code, the entry's narrative, and its comments. */
function notesOf(statement: XmlNode, location: EntryLocation, ctx: MappingContext): Annotation[] {
  const notes = narrativeNotes(ctx, location, at(statement, 'consumable/manufacturedProduct/manufacturedMaterial/code'));
  const texts = [narrativeOf(at(statement, 'text'))];
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    const act = at(relation, 'act');
    if (act && hasAnyTemplate(templateIds(act), COMMENT_TEMPLATES)) texts.push(narrativeOf(at(act, 'text')));
  }
  for (const text of texts) if (text && !notes.some((n) => n.text === text)) notes.push({ text });
  return notes;
}
