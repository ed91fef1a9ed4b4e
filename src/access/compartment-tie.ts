import type { WriteEvent } from '../fhir/context';
import { type FhirError, unprocessable } from '../fhir/errors';
import { patientCompartmentParams } from '../fhir/search-registry';
import type { Statements } from '../store/db';
import { loadRecordState } from './access-facts-memo';
import { classOf, COMPARTMENT_TYPES } from './resource-classes';

function pathsOf(type: string): string {
  if (type === 'Binary') return 'securityContext (its DocumentReference, or the Patient)';
  return patientCompartmentParams(type).join(' / ') || 'patient';
}

/**
 * Every clinical or record resource written is tied to exactly one local Patient (DESIGN §5 "Classification"):
 * the compartment paths must name one Patient, and that Patient must exist here. Runs for every writer, the
 * server's own imports included: a row without a compartment would belong to nobody's record (and was once
 * read as a public directory row). Throws 422.
 */
export async function assertCompartmentTie(tx: Statements, event: WriteEvent): Promise<void> {
  if (event.interaction === 'delete') return;
  const type = event.resourceType;
  if (!classOf(type)) throw unprocessable(`${type} is not offered by this server`);
  if (!COMPARTMENT_TYPES.includes(type) || type === 'Patient') return;
  assertLocalPatientReferences(event);
  const named = event.namedPatients ?? [];
  if (named.length > 1) {
    throw unprocessable(`A ${type} belongs to exactly one patient's record, but this one names ${named.map((id) => `Patient/${id}`).join(' and ')} (${pathsOf(type)})`);
  }
  // A Binary names its tie itself, even one a document governs (whose record the store gives it): the rule is the
  // body's, whatever the row it replaces.
  if (type === 'Binary' && !(event.resource as { securityContext?: { reference?: string } } | undefined)?.securityContext?.reference) {
    throw unprocessable(`A ${type} must belong to one patient's record: its ${pathsOf(type)} must reference a Patient of this server (Patient/<id>)`);
  }
  const patientId = event.compartment ?? named[0];
  if (!patientId) {
    // A Binary whose DocumentReference is written later in the same transaction takes its compartment then.
    if (type === 'Binary' && /(^|\/)DocumentReference\/[^/]+$/.test((event.resource as { securityContext?: { reference?: string } })?.securityContext?.reference ?? '')) return;
    throw unprocessable(`A ${type} must belong to one patient's record: its ${pathsOf(type)} must reference a Patient of this server (Patient/<id>)`);
  }
  if (!(await loadRecordState(tx, patientId)).exists) throw unknownPatient(type, patientId);
}

/** An absolute URL (another server's, or this one's spelt out) ending in `Patient/<id>`, version or not. */
const ABSOLUTE_PATIENT = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/.*\/Patient\/[A-Za-z0-9\-.]{1,64}(\/_history\/[^/]+)?$/;

/** Every `reference` string of a resource (contained resources included), with the path that holds it. */
function referencesOf(value: unknown, path: string, out: { path: string; reference: string }[]): void {
  if (Array.isArray(value)) value.forEach((item) => referencesOf(item, path, out));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string') out.push({ path, reference: child });
      else referencesOf(child, `${path}.${key}`, out);
    }
  }
}

/**
 * A record's resource names its Patient by a local reference (`Patient/<id>`). The store reads the id at the end of a
 * reference whatever its base, so `http://other.example/fhir/Patient/p1` — another server's patient who happens to
 * carry the id p1 — would file the row in this server's p1: the wrong person's record. Refused with 422, whatever the
 * base (the server's public base is not known here, and a relative reference says the same).
 */
function assertLocalPatientReferences(event: WriteEvent): void {
  const found: { path: string; reference: string }[] = [];
  referencesOf(event.resource, event.resourceType, found);
  const absolute = found.find((r) => ABSOLUTE_PATIENT.test(r.reference));
  if (!absolute) return;
  const text = `${absolute.path} references ${absolute.reference}: a Patient is referenced on this server as Patient/<id> (an absolute URL may name another server's patient)`;
  throw unprocessable([{ severity: 'error', code: 'invalid', diagnostics: text, details: { text }, expression: [absolute.path] }]);
}

/**
 * The answer for a write naming a Patient that does not exist here — and, word for word, for one whose record the
 * writer may not see (write-rules.ts): hidden is absent.
 */
export function unknownPatient(type: string, patientId: string): FhirError {
  return unprocessable(`A ${type} must belong to one patient's record: Patient/${patientId} does not exist on this server`);
}
