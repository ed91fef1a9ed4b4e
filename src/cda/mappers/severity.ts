import type { AllergyIntoleranceReaction, CodeableConcept } from '@medplum/fhirtypes';
import { at, attr, childrenNamed, templateIds } from '../cda-node';
import { toCodeableConcept } from '../datatypes';
import type { XmlNode } from '../xml-tree';
import { CLINICAL_STATEMENTS } from './entry-mapper';

/** Severity observations: how severe a problem or a reaction is (value from the Problem Severity value sets). */
const SEVERITY_TEMPLATES = [
  '2.16.840.1.113883.10.20.22.4.8', // C-CDA Severity Observation
  '2.16.840.1.113883.10.20.1.55', // CCD Severity observation
  '1.3.6.1.4.1.19376.1.5.3.1.4.1', // IHE PCC Severity Entry
  '1.2.250.1.213.1.1.3.29', // CI-SIS FR-Severite
];
const ACT_CODE = '2.16.840.1.113883.5.4';
const SNOMED = 'http://snomed.info/sct';

/**
 * AllergyIntolerance.reaction.severity is a code of three (mild | moderate | severe); the SNOMED CT findings that say
 * exactly those (JDV_SeveriteObservation-CISIS, C-CDA Problem Severity). « Mild to moderate » (371923003), « moderate to
 * severe » (371924009) or « fatal » (399166001) are not one of the three: rounding them either way says something else.
 */
const REACTION_SEVERITY: Record<string, AllergyIntoleranceReaction['severity']> = {
  '255604002': 'mild', '6736007': 'moderate', '24484000': 'severe',
};

/** A severity observation (by its templateId, or its code `SEV` of HL7 ActCode, which every one of them carries). */
export function isSeverityObservation(node: XmlNode): boolean {
  if (node.name !== 'observation') return false;
  const code = at(node, 'code');
  return templateIds(node).some((t) => SEVERITY_TEMPLATES.includes(t)) || (attr(code, 'code') === 'SEV' && attr(code, 'codeSystem') === ACT_CODE);
}

/** The severity observations among a statement's entryRelationships, each with its body path (`<path>.r<k>`). */
export function severityParts(statement: XmlNode, path: string): { node: XmlNode; path: string }[] {
  const parts: { node: XmlNode; path: string }[] = [];
  let k = 0;
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    for (const part of relation.children.filter((c) => CLINICAL_STATEMENTS.has(c.name))) {
      k++;
      if (isSeverityObservation(part)) parts.push({ node: part, path: `${path}.r${k}` });
    }
  }
  return parts;
}

/**
 * The severity a problem's severity observation states, as the document codes it (Condition.severity, preferred
 * binding SNOMED CT mild/moderate/severe, so any coding is kept as written), or why it cannot be read: not coded (a
 * nullFlavor, text only), or two severity observations (which one holds?).
 */
export function conditionSeverity(statement: XmlNode, path: string): { severity?: CodeableConcept; warning?: string } {
  const parts = severityParts(statement, path);
  if (!parts.length) return {};
  if (parts.length > 1) return { warning: `Entry ${path}: ${parts.length} severity observations; the severity is not represented` };
  const concept = toCodeableConcept(at(parts[0].node, 'value'));
  if (!concept?.coding?.length) return { warning: `Entry ${parts[0].path}: problem severity not coded; not represented` };
  return { severity: concept };
}

/** A reaction's severity as R4's code (mild | moderate | severe), or why it is not represented. */
export function reactionSeverity(severity: XmlNode, path: string): { severity?: AllergyIntoleranceReaction['severity']; warning?: string } {
  const value = at(severity, 'value');
  const concept = toCodeableConcept(value);
  const snomed = [...(concept?.coding ?? [])].find((c) => c.system === SNOMED && c.code && REACTION_SEVERITY[c.code]);
  if (snomed?.code) return { severity: REACTION_SEVERITY[snomed.code] };
  const code = concept?.coding?.[0]?.code;
  return { warning: `Entry ${path}: reaction severity ${code ? `coded ${code}, not one of mild, moderate, severe` : 'not coded'}; not represented` };
}
