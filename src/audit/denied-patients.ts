import type { Bundle, Resource } from '@medplum/fhirtypes';
import { decodePathSegments } from '../fhir/request-input';
import type { FhirRequest } from '../fhir/request';
import type { Statements } from '../store/db';
import { compartmentOf } from '../store/derived-columns';
import { computeIndexRows } from '../store/indexer';
import { sql } from '../store/sql';
import { patientIdentifiersFromQuery, patientsFromQuery } from './query-patients';

/** Bounds the look-ups one refused request may cause (it comes from someone the server just refused). */
export const MAX_LOOKUPS = 10;

/** The Patient compartment of a stored resource (the Patient's own id for a Patient), or null. */
export async function storedCompartment(db: Statements, type: string | undefined, id: string | undefined): Promise<string | null> {
  if (!type || !id) return null;
  if (type === 'Patient') return id;
  const { rows } = await db.query<{ compartment: string | null }>(sql`SELECT compartment FROM resource WHERE type = ${type} AND id = ${id}`);
  return rows[0]?.compartment ?? null;
}

/** The live records carrying an identifier (at most 5), whoever may read them. */
export async function patientsByIdentifier(db: Statements, token: { system?: string; value: string }): Promise<string[]> {
  const bySystem = token.system === undefined ? sql`` : token.system === '' ? sql` AND t.system IS NULL` : sql` AND t.system = ${token.system}`;
  const { rows } = await db.query<{ id: string }>(
    sql`SELECT DISTINCT r.id FROM idx_token t JOIN resource r ON r.rid = t.rid
      WHERE t.type = 'Patient' AND t.param = 'identifier' AND t.code = ${token.value}${bySystem} AND NOT r.deleted LIMIT 5`,
  );
  return rows.map((r) => r.id);
}

/** The records carrying these identifiers, one look-up each while the budget lasts. */
export async function patientsByIdentifiers(db: Statements, tokens: { system?: string; value: string }[], budget: { lookups: number }): Promise<string[]> {
  const ids = new Set<string>();
  for (const token of tokens) {
    if (budget.lookups-- <= 0) break;
    for (const patientId of await patientsByIdentifier(db, token)) ids.add(patientId);
  }
  return [...ids];
}

/** The patient of a resource sent in a write's body (create, update), from its compartment references. */
function bodyCompartment(request: FhirRequest, type: string | undefined): string | null {
  const body = request.body as Resource | undefined;
  if (!body || Buffer.isBuffer(body) || Array.isArray(body) || typeof body !== 'object' || body.resourceType !== type) return null;
  try {
    return compartmentOf(body, computeIndexRows(body));
  } catch {
    return null; // A body the store could not index names no patient we can trust.
  }
}

/** Bounds the entries of a refused Bundle that are read for the patients they name. */
const MAX_BUNDLE_ENTRIES = 100;

/** The entries of a Bundle body as requests (path, query, resource), for the patients they name; [] for any other body. */
function bundleEntryRequests(request: FhirRequest): FhirRequest[] {
  const body = request.body as Bundle | undefined;
  if (request.segments.length || !body || Buffer.isBuffer(body) || Array.isArray(body) || body.resourceType !== 'Bundle') return [];
  const requests: FhirRequest[] = [];
  for (const entry of (Array.isArray(body.entry) ? body.entry : []).slice(0, MAX_BUNDLE_ENTRIES)) {
    const url = typeof entry?.request?.url === 'string' ? entry.request.url : undefined;
    if (!url) continue;
    const relative = url.startsWith(request.baseUrl) ? url.slice(request.baseUrl.length) : url;
    const [path, query = ''] = relative.replace(/^\//, '').split('?', 2);
    try {
      const segments = decodePathSegments(path);
      requests.push({ ...request, method: (entry.request?.method ?? 'GET') as FhirRequest['method'], segments, query: [...new URLSearchParams(query).entries()], body: entry.resource });
    } catch {
      // An entry whose path cannot be read names no patient we can trust.
    }
  }
  return requests;
}

/**
 * The patients a refused request concerns, read from the request itself: the instance in the path
 * (`Patient/{id}`, `Patient/{id}/$everything`, `/_history`; another type's stored compartment), the search
 * parameters naming a patient (`patient`, `subject`, `Patient?_id`, `patient.identifier` resolved to records)
 * and the body of a write; for a Bundle refused whole (a batch or transaction by someone who may do neither), what
 * each of its entries names. Empty when it names none. `authenticated: false` (a 401) skips the identifier look-ups
 * and the body's indexing: an anonymous caller must not make the server work on what he sent.
 */
export async function deniedRequestPatients(db: Statements, request: FhirRequest, options: { query?: string; authenticated: boolean }): Promise<string[]> {
  const entries = options.authenticated ? bundleEntryRequests(request) : [];
  if (entries.length) {
    const ids = new Set<string>();
    const budget = { lookups: MAX_LOOKUPS }; // shared by the entries: one refused Bundle, one bound
    for (const entry of entries) {
      const query = entry.query.length ? new URLSearchParams(entry.query).toString() : undefined;
      for (const patientId of await requestPatients(db, entry, { query, authenticated: true }, budget)) ids.add(patientId);
    }
    return [...ids];
  }
  return requestPatients(db, request, options, { lookups: MAX_LOOKUPS });
}

async function requestPatients(db: Statements, request: FhirRequest, options: { query?: string; authenticated: boolean }, budget: { lookups: number }): Promise<string[]> {
  const { query, authenticated } = options;
  const [type, segment] = request.segments;
  const id = segment && !/^[_$]/.test(segment) ? segment : undefined;
  const ids = new Set<string>();
  const add = (patientId: string | null) => patientId && ids.add(patientId);
  if (id && type !== 'Patient' && budget.lookups-- > 0) add(await storedCompartment(db, type, id));
  if (type === 'Patient') add(id ?? null);
  for (const patientId of patientsFromQuery(type, query)) add(patientId);
  if (!authenticated) return [...ids];
  for (const patientId of await patientsByIdentifiers(db, patientIdentifiersFromQuery(type, query), budget)) add(patientId);
  add(bodyCompartment(request, type));
  return [...ids];
}
