import { at, attr, childrenNamed, templateIds } from '../cda-node';
import { intervalEnd } from '../interval-width';
import type { XmlNode } from '../xml-tree';

/** Status observations of problems and allergies (their value says active / inactive / resolved). */
const STATUS_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.4.1.1', // IHE PCC Problem Status Observation (also used under allergies)
  '2.16.840.1.113883.10.20.1.50', // CCD Problem status observation
  '2.16.840.1.113883.10.20.1.39', // CCD Alert status observation
  '2.16.840.1.113883.10.20.22.4.6', // C-CDA Problem Status
  '2.16.840.1.113883.10.20.22.4.28', // C-CDA Allergy Status Observation
  '1.2.250.1.213.1.1.3.30', // CI-SIS FR-Statut-du-probleme
];

/** SNOMED CT status values (CCD, C-CDA) and HL7 condition-clinical codes (IHE, CI-SIS). */
const STATUS_VALUES: Record<string, ClinicalStatus> = {
  '55561003': 'active', '73425007': 'inactive', '413322009': 'resolved', '277022003': 'remission', '255227004': 'recurrence',
  active: 'active', recurrence: 'recurrence', relapse: 'relapse', inactive: 'inactive', remission: 'remission', resolved: 'resolved',
};

export type ClinicalStatus = 'active' | 'recurrence' | 'relapse' | 'inactive' | 'remission' | 'resolved';

/** A problem or allergy status observation (by its templateId). */
export function isStatusObservation(node: XmlNode): boolean {
  return node.name === 'observation' && templateIds(node).some((t) => STATUS_TEMPLATES.includes(t));
}

/** The clinical status stated by a problem/allergy status observation under the statement, if any. */
export function statedClinicalStatus(statement: XmlNode): ClinicalStatus | undefined {
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    const observation = at(relation, 'observation');
    if (!observation || !isStatusObservation(observation)) continue;
    const code = valueCodes(at(observation, 'value')).find((c) => STATUS_VALUES[c]);
    if (code) return STATUS_VALUES[code];
  }
  return undefined;
}

/**
 * Whether a CDA interval has ended at `reference` (the document's effectiveTime): its `high` is before that
 * instant, compared at the high's own precision (a treatment ending "20250402" is still running on that day).
 */
export function endedBefore(time: XmlNode | undefined, reference: string | undefined): boolean | undefined {
  // The end written, or computed from a start and a width (`interval-width.ts`): "from 1 June for 5 days".
  const high = intervalEnd(time);
  if (!high) return undefined;
  if (!reference) return true;
  if (high.length <= 10) return high < reference.slice(0, high.length);
  return Date.parse(high) < Date.parse(reference);
}

/**
 * The codes a coded value states: its own, then its translations'. A sender's local code (« RESOLU ») with the SNOMED CT
 * or HL7 code as a translation says the same thing; reading the first code only left the status unread, and the
 * problem was then made active from its dates.
 */
export function valueCodes(value: XmlNode | undefined): string[] {
  return [value, ...childrenNamed(value, 'translation')]
    .filter((c) => c && attr(c, 'nullFlavor') === undefined)
    .map((c) => attr(c, 'code'))
    .filter((c): c is string => !!c);
}
