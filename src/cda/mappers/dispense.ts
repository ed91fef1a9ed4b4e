import type { CodeableConcept, Medication, MedicationDispense, Practitioner, Reference } from '@medplum/fhirtypes';
import { all, at, attr, childrenNamed, templateIds, textOf } from '../cda-node';
import { toCodeableConcept, toDateTime, toDateTimeOf, toPeriod, toQuantity } from '../datatypes';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import { statementRefusal } from '../statement-guards';
import { narrativeOf } from '../narrative-references';
import type { XmlNode } from '../xml-tree';
import { isUnidentified } from './absence';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { addNotes, narrativeNotes } from './narrative-notes';

/** Dispense items: IHE PHARM DIS Dispense Item, CI-SIS FR-Traitement-dispense, C-CDA Medication Dispense. */
const DISPENSE_TEMPLATES = ['1.3.6.1.4.1.19376.1.9.1.3.4', '1.2.250.1.213.1.1.3.204', '2.16.840.1.113883.10.20.22.4.18'];
/** The generic IHE PCC Supply Entry is a dispensation only when it supplies a medicinal product (not a device). */
const SUPPLY_TEMPLATES = ['1.3.6.1.4.1.19376.1.5.3.1.4.7.3'];
/** CI-SIS medical-device supplies share the generic supply templates: never a medication. */
const DEVICE_TEMPLATES = ['1.2.250.1.213.1.1.3.20'];
const MATERIAL = 'product/manufacturedProduct/manufacturedMaterial';

/**
 * One supplied product of a dispensation (eDISP, or a C-CDA dispense) → MedicationDispense: the product in a
 * contained Medication (its CIS/CIP/UCD code with the ATC translation, exactly the document's systems, and the lot in
 * `batch`: R4 MedicationDispense has no lot of its own), quantity, days supply, when handed over and the dispenser.
 * An eDISP with two supplies gives two MedicationDispenses.
 */
export const dispenseMapper: EntryMapper = {
  name: 'dispense',
  matches: (ids, node) =>
    node.name === 'supply' &&
    (attr(node, 'moodCode') ?? 'EVN') === 'EVN' &&
    !hasAnyTemplate(ids, DEVICE_TEMPLATES) &&
    (hasAnyTemplate(ids, DISPENSE_TEMPLATES) || (hasAnyTemplate(ids, SUPPLY_TEMPLATES) && !!at(node, MATERIAL))),
  map(statement, location, ctx) {
    const material = at(statement, MATERIAL);
    const product = productOf(material);
    if (!product || isUnidentified(product)) {
      ctx.warnings.push(`Entry ${location.path}: dispensation without an identified product; not represented`);
      return;
    }
    addDispense(statement, { product, material, dispensation: true }, location, ctx);
  },
};

/**
 * The dispensations recorded inside a medication entry (Assurance Maladie care history: `entryRelationship/supply`
 * EVN, the reimbursed delivery with its date, quantity and dispenser) → one MedicationDispense each, for the product
 * of the treatment (`consumable`). A supply in another mood (a prescription, `INT`) is not a dispensation.
 */
/** A supply inside a treatment taken that is one of its deliveries: done (EVN), not a device's. */
export function isNestedDispense(supply: XmlNode): boolean {
  return (attr(supply, 'moodCode') ?? 'EVN') === 'EVN' && !hasAnyTemplate(templateIds(supply), DEVICE_TEMPLATES);
}

export function addNestedDispenses(statement: XmlNode, product: CodeableConcept, location: EntryLocation, ctx: MappingContext): void {
  const material = at(statement, 'consumable/manufacturedProduct/manufacturedMaterial');
  childrenNamed(statement, 'entryRelationship').forEach((relation, i) => {
    const supply = at(relation, 'supply');
    if (!supply || !isNestedDispense(supply)) return;
    const path = `${location.path}.r${i + 1}`;
    // The walker's guards apply to an entry, not to what sits inside it: a delivery entered in error, about someone
    // else or stated with uncertainty was a MedicationDispense like any other.
    const refusal = statementRefusal(supply);
    if (refusal !== undefined) {
      ctx.warnings.push(`Entry ${path}: dispensation ${refusal}; not represented`);
      ctx.unmapped.add(location.section, supply, path);
      return;
    }
    addDispense(supply, { product, material, dispensation: false }, { ...location, path }, ctx);
  });
}

/** One supply → MedicationDispense with a contained Medication (product code, lot, expiry). */
function addDispense(
  statement: XmlNode, what: { product: CodeableConcept; material: XmlNode | undefined; dispensation: boolean }, location: EntryLocation, ctx: MappingContext,
): void {
  const { product, material } = what;
  const medication: Medication = { resourceType: 'Medication', id: 'medication', code: product };
  const lot = textOf(at(material, 'lotNumberText'));
  const expiry = toDateTimeOf(at(material, 'pharm:expirationTime')) ?? toDateTimeOf(at(material, 'expirationTime'));
  if (lot || expiry) medication.batch = { ...(lot ? { lotNumber: lot } : {}), ...(expiry ? { expirationDate: expiry } : {}) };
  const dispense: MedicationDispense = {
    resourceType: 'MedicationDispense',
    contained: [medication],
    ...extractedBase(ctx, statement, location.path),
    status: statusOf(statement),
    medicationReference: { reference: '#medication', display: product.coding?.[0]?.display ?? product.text },
    subject: ctx.patient,
  };
  const quantity = toQuantity(at(statement, 'quantity'));
  if (quantity) dispense.quantity = quantity;
  const days = toQuantity(at(statement, 'expectedUseTime/width')) ?? toQuantity(at(statement, 'expectedUseTime'));
  if (days) dispense.daysSupply = days;
  const handedOver = handedOverOf(statement);
  if (handedOver) dispense.whenHandedOver = handedOver;
  const dispenser = dispenserOf(statement, what.dispensation ? location.section : undefined, ctx);
  if (dispenser) dispense.performer = [{ actor: dispenser }];
  const type = toCodeableConcept(at(statement, 'code'));
  if (type) dispense.type = type;
  const instruction = narrativeOf(at(statement, 'entryRelationship/substanceAdministration/text'));
  if (instruction) dispense.dosageInstruction = [{ text: instruction }];
  addNotes(dispense, narrativeNotes(ctx, location, at(material, 'code')));
  ctx.builder.add(dispense, ctx.builder.urnFor(`dispense:${location.path}`));
}

/** The product's code with its translations (CIS/CIP/UCD and ATC), else its name. */
function productOf(material: XmlNode | undefined): CodeableConcept | undefined {
  const code = toCodeableConcept(at(material, 'code'));
  const name = textOf(all(material, 'name')[0]);
  if (!code && !name) return undefined;
  return { ...(code ?? {}), ...(!code?.text && name ? { text: name } : {}) };
}

function statusOf(statement: XmlNode): MedicationDispense['status'] {
  if (isNegated(statement)) return 'declined';
  const status = attr(at(statement, 'statusCode'), 'code');
  if (status === 'aborted') return 'stopped';
  if (status === 'cancelled') return 'cancelled';
  if (status === 'active') return 'in-progress';
  if (status === 'nullified') return 'entered-in-error';
  return 'completed';
}

/** When the product was handed over: the supply's time, else the dispenser's time, else the author's time. */
function handedOverOf(statement: XmlNode): string | undefined {
  const time = at(statement, 'effectiveTime');
  const instant = toDateTimeOf(time) ?? toPeriod(time)?.start;
  if (instant) return instant;
  return toDateTime(attr(at(statement, 'performer/time'), 'value')) ?? toDateTime(attr(at(statement, 'author/time'), 'value'));
}

/**
 * The dispenser: the supply's performer. Only in a dispensation document (eDISP) is the section's or the document's
 * author the pharmacist who dispensed; a supply's own author is its prescriber (Assurance Maladie care history), never
 * taken for the dispenser.
 */
function dispenserOf(statement: XmlNode, dispensationSection: XmlNode | undefined, ctx: MappingContext): Reference<Practitioner> | undefined {
  const candidates = [...all(statement, 'performer/assignedEntity')];
  if (dispensationSection) candidates.push(...all(dispensationSection, 'author/assignedAuthor'), ...(ctx.documentAuthor ? [ctx.documentAuthor] : []));
  for (const assigned of candidates) {
    const ref = ctx.practitionerOf(assigned);
    if (ref) return ref;
  }
  return undefined;
}
