import type { CodeableConcept } from '@medplum/fhirtypes';

const DATA_ABSENT_REASON = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
const NULL_FLAVOR = 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor';

/**
 * HL7 v3 NullFlavor → FHIR data-absent-reason, as the R4 ConceptMap cm-data-absent-reason-v3 pairs them (UNK, ASKU,
 * NAV, NASK, MSK, NA; NINF and PINF are the two infinities). The others (NI, OTH, TRC, INV, DER, UNC, QS, NP) have no
 * equivalent: `unknown`, the broadest, as C-CDA on FHIR does for NI.
 */
const REASONS: Record<string, string> = {
  UNK: 'unknown', ASKU: 'asked-unknown', NAV: 'temp-unknown', NASK: 'not-asked', MSK: 'masked', NA: 'not-applicable',
  NINF: 'negative-infinity', PINF: 'positive-infinity',
};

/**
 * The data-absent reason of a value given as a nullFlavor. The document's own code is kept beside it (a second coding
 * of v3 NullFlavor): `TRC` (a trace, too small to be measured) or `OTH` say more than `unknown` does.
 */
export function dataAbsentReasonOf(nullFlavor: string): CodeableConcept {
  const code = nullFlavor.trim();
  const reason = REASONS[code] ?? 'unknown';
  const coding: CodeableConcept['coding'] = [{ system: DATA_ABSENT_REASON, code: reason }];
  if (/^[A-Za-z]{1,8}$/.test(code)) coding.push({ system: NULL_FLAVOR, code });
  return { coding };
}
