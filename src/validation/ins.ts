import type { Identifier, OperationOutcomeIssue, Patient } from '@medplum/fhirtypes';

/** INS identifier systems (FR Core): NIR, NIA, test NIR, demo NIR. */
export const INS_SYSTEMS: readonly string[] = [
  'urn:oid:1.2.250.1.213.1.4.8',
  'urn:oid:1.2.250.1.213.1.4.9',
  'urn:oid:1.2.250.1.213.1.4.10',
  'urn:oid:1.2.250.1.213.1.4.11',
];

/** Answers whether an identifier is an INS (matricule INS: NIR or NIA, production, test or demo). */
/**
 * The canonical INS system of another spelling of it (`URN:OID:1.2.250.1.213.1.4.8`, the bare OID
 * `1.2.250.1.213.1.4.8`, surrounding spaces), or undefined when `system` is canonical or no INS system at all. An OID
 * URN's prefix is case-insensitive (RFC 3061): such a spelling names the INS authority, yet an exact comparison would
 * not see an INS in it.
 */
export function insSystemVariant(system: string): string | undefined {
  if (INS_SYSTEMS.includes(system)) return undefined;
  const canonical = `urn:oid:${system.trim().replace(/^urn:oid:/i, '')}`;
  return INS_SYSTEMS.includes(canonical) ? canonical : undefined;
}

export function isInsIdentifier(identifier: Identifier | undefined): boolean {
  return typeof identifier?.system === 'string' && INS_SYSTEMS.includes(identifier.system);
}

/**
 * Explains why a matricule INS is malformed, or returns undefined when it is well-formed:
 * 13 characters (sex, year, month, 5-character birthplace where Corsica is 2A/2B, order) then a
 * 2-digit key = 97 − (number mod 97), the number read with 2A → 19 and 2B → 18 (INSEE rule).
 */
export function explainInsProblem(value: string): string | undefined {
  if (value.length !== 15) return `An INS has 15 characters (13 + a 2-digit key), found ${value.length}`;
  if (!/^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/.test(value)) {
    return 'An INS is made of digits (the birthplace may be 2A or 2B for Corsica)';
  }
  const body = value.slice(0, 13).replace(/^(\d{5})2A/, '$119').replace(/^(\d{5})2B/, '$118');
  const expected = 97 - Number(BigInt(body) % 97n);
  const key = Number(value.slice(13));
  return key === expected ? undefined : `INS control key ${value.slice(13)} does not match the number (expected ${String(expected).padStart(2, '0')})`;
}

/**
 * The always-applied INS rule on a Patient: every identifier whose system is an INS OID must carry a
 * well-formed matricule INS. Contained Patients are not checked (IHE sourcePatientInfo snapshots).
 */
export function checkInsIdentifiers(patient: Patient): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  // Runs beside the schema check, which reports an identifier of the wrong shape itself.
  (Array.isArray(patient.identifier) ? patient.identifier : []).forEach((identifier, i) => {
    if (!isInsIdentifier(identifier)) return;
    const at = `Patient.identifier[${i}].value`;
    if (typeof identifier.value !== 'string' || identifier.value === '') {
      issues.push({ severity: 'error', code: 'required', diagnostics: `An INS identifier (${identifier.system}) needs a value`, expression: [at] });
      return;
    }
    const problem = explainInsProblem(identifier.value);
    if (problem) issues.push({ severity: 'error', code: 'value', diagnostics: problem, expression: [at] });
  });
  return issues;
}

/** Answers whether a Patient carries at least one INS identifier. */
export function hasIns(patient: Patient): boolean {
  return (patient.identifier ?? []).some(isInsIdentifier);
}
