const PATIENT_PARAMS = ['patient', 'subject', 'patient:Patient', 'subject:Patient', 'beneficiary', 'patient._id'];
/** Chained searches naming the patient by identifier (INS …) rather than by id. */
const PATIENT_IDENTIFIER_PARAMS = ['patient.identifier', 'patient:Patient.identifier', 'subject:Patient.identifier', 'beneficiary:Patient.identifier'];

/**
 * Patient ids named by a search's query string (`patient=123`, `subject=Patient/123`, `Patient?_id=123`),
 * so that a search returning nothing, or a denied one, is still audited in that patient's trail.
 */
export function patientsFromQuery(resourceType: string | undefined, query: string | undefined): string[] {
  if (!query) return [];
  const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const ids = new Set<string>();
  for (const [name, value] of params) {
    const own = resourceType === 'Patient' && name === '_id';
    if (!own && !PATIENT_PARAMS.includes(name)) continue;
    for (const part of value.split(',')) {
      const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(part) ?? (own || name.startsWith('patient') ? /^([A-Za-z0-9\-.]{1,64})$/.exec(part) : null);
      if (m) ids.add(m[1]);
    }
  }
  return [...ids];
}

/**
 * Patient identifiers (`system|value` tokens) named by a search's query string: `patient.identifier=…` and its
 * typed forms, or `Patient?identifier=…`. The caller resolves them to records (a denied search by INS is filed in
 * that patient's trail).
 */
export function patientIdentifiersFromQuery(resourceType: string | undefined, query: string | undefined): { system?: string; value: string }[] {
  if (!query) return [];
  const tokens: { system?: string; value: string }[] = [];
  for (const [name, value] of new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)) {
    if (!PATIENT_IDENTIFIER_PARAMS.includes(name) && !(resourceType === 'Patient' && name === 'identifier')) continue;
    for (const part of value.split(',')) {
      const bar = part.indexOf('|');
      const token = bar < 0 ? { value: part } : { system: part.slice(0, bar), value: part.slice(bar + 1) };
      if (token.value) tokens.push(token);
    }
  }
  return tokens;
}
