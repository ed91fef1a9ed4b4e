const PATIENT_PARAMS = ['patient', 'subject', 'patient:Patient', 'subject:Patient', 'beneficiary', 'patient._id'];

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
