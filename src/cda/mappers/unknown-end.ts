import { at, attr, templateIds } from '../cda-node';
import type { XmlNode } from '../xml-tree';

/** C-CDA Problem Observation and Allergy - Intolerance Observation (and its substance/device form). */
const CCDA_CONCERN_TEMPLATES = ['2.16.840.1.113883.10.20.22.4.4', '2.16.840.1.113883.10.20.22.4.7', '2.16.840.1.113883.10.20.24.3.90'];

/**
 * True when the statement's effectiveTime has an end written as unknown (`<high nullFlavor="UNK"/>`). NA ("no end
 * applies") and an absent high are no end at all; the other nullFlavors are not what either specification writes.
 */
export function endedAtUnknownTime(statement: XmlNode): boolean {
  return attr(at(statement, 'effectiveTime/high'), 'nullFlavor') === 'UNK';
}

/**
 * True when the statement is a C-CDA problem or allergy observation: C-CDA states that an effectiveTime/high present,
 * even `nullFlavor="UNK"`, means the condition ended ("if the date of resolution is not known, then effectiveTime/high
 * will be present with a nullFlavor of UNK"). A CI-SIS document writes the same for an end that is not known.
 */
export function isCcdaStatement(statement: XmlNode): boolean {
  return templateIds(statement).some((t) => CCDA_CONCERN_TEMPLATES.includes(t));
}
