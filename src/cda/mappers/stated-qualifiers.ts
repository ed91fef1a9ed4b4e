import type { AllergyIntolerance } from '@medplum/fhirtypes';
import { at, attr } from '../cda-node';
import type { XmlNode } from '../xml-tree';
import { relatedObservations } from './clinical-common';
import { valueCodes } from './clinical-status';

/** LOINC 66455-7 "Certainty" (IPS-FR, C-CDA): how sure the author is of an allergy or a problem. */
const CERTAINTY = '66455-7';
/** LOINC 82606-5 "Criticality" of an allergy. */
const CRITICALITY = '82606-5';
const VERIFICATION_CODES = new Set(['confirmed', 'unconfirmed', 'provisional', 'differential', 'refuted', 'entered-in-error']);
const CRITICALITY_CODES = new Set(['low', 'high', 'unable-to-assess']);

/**
 * The verification status the document states in a certainty observation ("Non confirmé" → `unconfirmed`), so that
 * an unconfirmed diagnosis never becomes a confirmed one. Undefined when the document says nothing.
 */
export function statedVerification(statement: XmlNode): string | undefined {
  return qualifierValue(statement, CERTAINTY, VERIFICATION_CODES);
}

/** The criticality an allergy's criticality observation states (`low`, `high`, `unable-to-assess`). */
export function statedCriticality(statement: XmlNode): AllergyIntolerance['criticality'] | undefined {
  return qualifierValue(statement, CRITICALITY, CRITICALITY_CODES) as AllergyIntolerance['criticality'] | undefined;
}

/** A certainty or criticality observation: a qualifier of the allergy or problem it sits in. */
export function isStatedQualifier(node: XmlNode): boolean {
  const code = attr(at(node, 'code'), 'code');
  return node.name === 'observation' && (code === CERTAINTY || code === CRITICALITY);
}

function qualifierValue(statement: XmlNode, loinc: string, known: ReadonlySet<string>): string | undefined {
  const observation = relatedObservations(statement).find((o) => attr(at(o, 'code'), 'code') === loinc);
  // The value's own code or a translation's (a local « NC » translated to `unconfirmed` is unconfirmed).
  return valueCodes(at(observation, 'value')).find((c) => known.has(c));
}
