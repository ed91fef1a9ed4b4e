import type { CodeableConcept, Practitioner, Reference } from '@medplum/fhirtypes';
import { all, at, attr, childrenNamed } from '../cda-node';
import { toCodeableConcept } from '../datatypes';
import type { MappingContext } from '../mapping-context';
import { narrativeOf } from '../narrative-references';
import type { XmlNode } from '../xml-tree';

/** consumable/manufacturedProduct/manufacturedMaterial → the product's CodeableConcept (CIS, ATC, CVX, RxNorm…). */
export function productCode(statement: XmlNode): CodeableConcept | undefined {
  const material = at(statement, 'consumable/manufacturedProduct/manufacturedMaterial');
  const concept = toCodeableConcept(at(material, 'code'));
  const name = all(material, 'name')[0];
  const nameText = name ? name.content.filter((c) => typeof c === 'string').join('').replace(/\s+/g, ' ').trim() : '';
  if (!concept && !nameText) return undefined;
  const result: CodeableConcept = concept ?? {};
  if (!result.text && nameText) result.text = nameText;
  return result;
}

/** The `value` elements of a statement's entryRelationships whose observation code matches one of `codes`. */
export function relatedObservations(statement: XmlNode, typeCode?: string): XmlNode[] {
  return childrenNamed(statement, 'entryRelationship')
    .filter((r) => !typeCode || attr(r, 'typeCode') === typeCode)
    .map((r) => at(r, 'observation'))
    .filter((o): o is XmlNode => !!o);
}

/**
 * The first performer of a statement as a Practitioner reference, when identifiable. Only `performer`: the statement's
 * `author` wrote it down (a GP summarising a surgery, the vaccination record's keeper), he did not perform it; he was
 * named as the surgeon or the vaccinator.
 */
export function performerOf(statement: XmlNode, ctx: MappingContext): Reference<Practitioner> | undefined {
  return firstPractitioner(all(statement, 'performer/assignedEntity'), ctx);
}

/** The first author of a statement as a Practitioner reference (who recorded it), when identifiable. */
export function authorOf(statement: XmlNode, ctx: MappingContext): Reference<Practitioner> | undefined {
  return firstPractitioner(all(statement, 'author/assignedAuthor'), ctx);
}

function firstPractitioner(assignedList: XmlNode[], ctx: MappingContext): Reference<Practitioner> | undefined {
  for (const assigned of assignedList) {
    const ref = ctx.practitionerOf(assigned);
    if (ref) return ref;
  }
  return undefined;
}

/** The first effectiveTime that is a plain TS or IVL_TS (not a PIVL/EIVL frequency). */
export function mainEffectiveTime(statement: XmlNode): XmlNode | undefined {
  return childrenNamed(statement, 'effectiveTime').find((t) => {
    const type = attr(t, 'xsi:type');
    return !type || type === 'IVL_TS' || type === 'TS';
  });
}

/** The coded reasons (`RSON` entryRelationships): the related problem's value, else its code, else its narrative. */
export function reasonsOf(statement: XmlNode): CodeableConcept[] {
  return childrenNamed(statement, 'entryRelationship')
    .filter((r) => attr(r, 'typeCode') === 'RSON')
    .map((r) => at(r, 'observation') ?? at(r, 'act'))
    .map((node) => toCodeableConcept(at(node, 'value')) ?? toCodeableConcept(at(node, 'code')) ?? textConcept(narrativeOf(at(node, 'text'))))
    .filter((c): c is CodeableConcept => !!c);
}

function textConcept(text: string | undefined): CodeableConcept | undefined {
  return text ? { text } : undefined;
}
