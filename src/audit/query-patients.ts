import { parseSearch } from '../fhir/search/parse';
import type { ParamFilter } from '../fhir/search/types';
import { parseReference } from '../store/indexer';

/** A patient identifier (`system|value` token) a search names; the caller resolves it to records. */
export interface PatientIdentifier {
  system?: string;
  value: string;
}

/** What a search's query names of patients: ids, and identifiers to resolve. */
export interface NamedPatients {
  ids: string[];
  identifiers: PatientIdentifier[];
}

const PATIENT_PARAMS = ['patient', 'subject', 'patient:Patient', 'subject:Patient', 'beneficiary', 'patient._id'];
/** Chained searches naming the patient by identifier (INS …) rather than by id. */
const PATIENT_IDENTIFIER_PARAMS = ['patient.identifier', 'patient:Patient.identifier', 'subject:Patient.identifier', 'beneficiary:Patient.identifier'];
const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * The patients a search's query string names, read as the search itself reads it (`parseSearch`, then the reference
 * values as the SQL compiler reads them, `parseReference`): so that a search returning nothing, or a denied one, is
 * filed in that patient's trail. Every form the search answers for a patient counts: `patient=p1`, `subject=p1` (a bare
 * id on a parameter that may point at a Patient), `subject:Patient=p1`, `subject=Patient/p1/_history/1`, an absolute
 * URL, a chain to the Patient's `_id` or `identifier` (`subject:Patient._id=p1`, `patient.identifier=…`), a name the
 * search trims (`%20patient=p1`), `Patient?_id=` and `Patient?identifier=`. Before (attack sweep 12), a list of exact
 * parameter names was read instead: an insurer refused on `Observation?subject=p1`, or an unauthorised professional
 * whose `Observation?subject=Patient/p1/_history/1` found nothing, was filed in no patient's trail.
 * A parameter the search would refuse (400) is read by its name as before.
 */
export function patientsNamedBy(resourceType: string | undefined, query: string | undefined): NamedPatients {
  const named: NamedPatients = { ids: [], identifiers: [] };
  if (!query) return named;
  const ids = new Set<string>();
  for (const [name, value] of new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)) {
    const filters = resourceType ? parsedFilters(resourceType, name, value) : undefined;
    if (filters) for (const filter of filters) collect(filter, resourceType as string, ids, named.identifiers);
    else byName(resourceType, name.trim(), value, ids, named.identifiers);
  }
  named.ids = [...ids];
  return named;
}

/** Patient ids a search's query string names (see `patientsNamedBy`). */
export function patientsFromQuery(resourceType: string | undefined, query: string | undefined): string[] {
  return patientsNamedBy(resourceType, query).ids;
}

/** Patient identifiers a search's query string names (see `patientsNamedBy`): the caller resolves them to records. */
export function patientIdentifiersFromQuery(resourceType: string | undefined, query: string | undefined): PatientIdentifier[] {
  return patientsNamedBy(resourceType, query).identifiers;
}

/** The filters one parameter makes, as the search parses it; undefined when the search would not take it. */
function parsedFilters(resourceType: string, name: string, value: string): ParamFilter[] | undefined {
  try {
    const filters = parseSearch(resourceType, [[name, value]], false).filters;
    return filters.length ? filters : undefined;
  } catch {
    return undefined; // a value the search refuses (400): read by its name below
  }
}

function collect(filter: ParamFilter, type: string, ids: Set<string>, identifiers: PatientIdentifier[]): void {
  if (filter.has || filter.modifier === 'missing' || filter.modifier === 'not') return;
  if (filter.chain) {
    if (filter.chain.targetType === 'Patient') collect(filter.chain.filter, 'Patient', ids, identifiers);
    return;
  }
  const code = filter.def.code;
  if (type === 'Patient' && code === '_id') {
    for (const v of filter.values) if (PATIENT_ID.test(v)) ids.add(v);
    return;
  }
  if (type === 'Patient' && code === 'identifier') {
    for (const v of filter.values) addToken(v, identifiers);
    return;
  }
  if (filter.def.type !== 'reference') return;
  const targets = 'targets' in filter.def ? filter.def.targets : [];
  // A bare id names a Patient when the parameter may point at one (the search then matches any target of that id).
  const bareIsPatient = filter.modifier === 'Patient' || (filter.modifier === undefined && (targets.length === 0 || targets.includes('Patient')));
  for (const v of filter.values) {
    const parsed = parseReference(v);
    if (parsed.targetType === 'Patient') ids.add(parsed.targetId);
    else if (!parsed.targetType && bareIsPatient && PATIENT_ID.test(v)) ids.add(v);
  }
}

function addToken(part: string, identifiers: PatientIdentifier[]): void {
  const bar = part.indexOf('|');
  const token = bar < 0 ? { value: part } : { system: part.slice(0, bar), value: part.slice(bar + 1) };
  if (token.value) identifiers.push(token);
}

/** A parameter the search does not take, read by its name (the names the trail always read). */
function byName(resourceType: string | undefined, name: string, value: string, ids: Set<string>, identifiers: PatientIdentifier[]): void {
  if (PATIENT_IDENTIFIER_PARAMS.includes(name) || (resourceType === 'Patient' && name === 'identifier')) {
    for (const part of value.split(',')) addToken(part, identifiers);
    return;
  }
  const own = resourceType === 'Patient' && name === '_id';
  if (!own && !PATIENT_PARAMS.includes(name)) return;
  for (const part of value.split(',')) {
    const parsed = parseReference(part);
    if (parsed.targetType === 'Patient') ids.add(parsed.targetId);
    else if (!parsed.targetType && (own || name.startsWith('patient')) && PATIENT_ID.test(part)) ids.add(part);
  }
}
