import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import { classOf } from '../../../src/access/resource-classes';
import type { MintOptions } from '../../../src/auth/mint-token';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { compartmentOf } from './actors';
import { A07, IDNAT, RPPS } from './fixture';
import type { MatrixRow } from './matrix-fixture';

// The expected answers of the generated access matrix, written from the rules (DESIGN §1, §4, §5 and
// src/access/README.md), never from what the code returns. The fixture's consent state is restated here by hand
// (RECORDS) from the fixture's description; what each row is (record, governing document, labels, authors) is read
// from the rows themselves.

/** Who an actor is, as far as the rules care. */
export type ActorWho =
  | { kind: 'patient'; records: string[]; guardian?: boolean }
  | { kind: 'practitioner'; rpps: string; mode: 'treat' | 'samu' | 'btg' }
  | { kind: 'feeder' }
  | { kind: 'assurance-maladie' }
  | { kind: 'excluded' }
  | { kind: 'malformed' };

export interface MatrixActor {
  /** Short key (also part of the write targets' ids). */
  key: string;
  label: string;
  mint: MintOptions;
  headers?: Record<string, string>;
  who: ActorWho;
}

const UNAUTHORISED = '10000000077';

/** Every actor kind of issue 11 (the legal exclusions one by one). */
export const MATRIX_ACTORS: readonly MatrixActor[] = [
  { key: 'patient', label: 'patient (p1)', mint: { kind: 'patient', id: 'p1' }, who: { kind: 'patient', records: ['p1'] } },
  { key: 'p2', label: 'another patient (p2)', mint: { kind: 'patient', id: 'p2' }, who: { kind: 'patient', records: ['p2'] } },
  { key: 'guardian', label: 'guardian (rp1)', mint: { kind: 'guardian', id: 'rp1' }, who: { kind: 'patient', records: ['p1'], guardian: true } },
  { key: 'gp', label: 'treating physician', mint: { kind: 'practitioner', id: RPPS.gp }, who: { kind: 'practitioner', rpps: RPPS.gp, mode: 'treat' } },
  { key: 'spec', label: 'authorised specialist', mint: { kind: 'practitioner', id: RPPS.spec }, who: { kind: 'practitioner', rpps: RPPS.spec, mode: 'treat' } },
  { key: 'unauth', label: 'unauthorised practitioner', mint: { kind: 'practitioner', id: UNAUTHORISED }, who: { kind: 'practitioner', rpps: UNAUTHORISED, mode: 'treat' } },
  { key: 'blocked', label: 'blocked practitioner', mint: { kind: 'practitioner', id: RPPS.blocked }, who: { kind: 'practitioner', rpps: RPPS.blocked, mode: 'treat' } },
  { key: 'author', label: 'author of a document', mint: { kind: 'practitioner', id: RPPS.author }, who: { kind: 'practitioner', rpps: RPPS.author, mode: 'treat' } },
  {
    key: 'samu', label: 'SAMU regulator', mint: { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' },
    who: { kind: 'practitioner', rpps: '10000000066', mode: 'samu' },
  },
  {
    key: 'btg', label: 'break-glass', mint: { kind: 'practitioner', id: '10000000055' },
    headers: { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': encodeURIComponent('arrêt cardiaque') },
    who: { kind: 'practitioner', rpps: '10000000055', mode: 'btg' },
  },
  { key: 'btg-noreason', label: 'break-glass without a reason', mint: { kind: 'practitioner', id: '10000000057' }, headers: { 'X-Purpose-Of-Use': 'BTG' }, who: { kind: 'malformed' } },
  { key: 'feeder', label: 'feeder', mint: { kind: 'system', id: 'lab-feeder' }, who: { kind: 'feeder' } },
  { key: 'am', label: 'Assurance Maladie', mint: { kind: 'system', id: 'cnam', category: 'assurance-maladie' }, who: { kind: 'assurance-maladie' } },
  { key: 'insurer', label: 'insurer', mint: { kind: 'practitioner', id: '10000000044', category: 'insurer' }, who: { kind: 'excluded' } },
  { key: 'employer', label: 'employer', mint: { kind: 'system', id: 'acme-hr', category: 'employer' }, who: { kind: 'excluded' } },
  { key: 'bank', label: 'bank', mint: { kind: 'system', id: 'bank', category: 'bank' }, who: { kind: 'excluded' } },
  { key: 'occhealth', label: 'occupational health', mint: { kind: 'practitioner', id: '10000000033', category: 'occupational-health' }, who: { kind: 'excluded' } },
];

/** The consent state of the fixture's records (fixture.ts: FIXTURE's description), by RPPS. */
interface RecordState {
  opened: boolean;
  closed: boolean;
  treating: string[];
  permitted: string[];
  denied: string[];
  refused: ('BTG' | 'ETREAT')[];
}
export const RECORDS: Readonly<Record<string, RecordState>> = {
  // c1-other's permit is withdrawn (inactive); nothing refused in advance.
  p1: { opened: true, closed: false, treating: [RPPS.gp], permitted: [RPPS.spec], denied: [RPPS.blocked], refused: [] },
  // spec's permit expired in 2021; break-glass and SAMU refused in advance; no treating physician.
  p2: { opened: true, closed: false, treating: [], permitted: [], denied: [], refused: ['BTG', 'ETREAT'] },
  p3: { opened: false, closed: false, treating: [], permitted: [], denied: [], refused: [] },
  p4: { opened: true, closed: true, treating: [RPPS.gp], permitted: [RPPS.spec], denied: [], refused: [] },
};

/** What the rules need to know of one stored row. */
export interface RowFacts {
  type: string;
  id: string;
  /** Patient id of its record; null for directory rows. */
  compartment: string | null;
  /** The DocumentReference governing it (itself, its Binary's, an extracted resource's). */
  docId?: string;
  /** TRE_A07 visibility codes of the governing document. */
  flags: string[];
  /** The governing document is masked by an active Consent. */
  masked: boolean;
  /** RPPS of the governing document's authors. */
  authors: string[];
  /** A matrix row (not one of fixture.ts). */
  matrix: boolean;
}

function governingDocId(r: Resource): string | undefined {
  if (r.resourceType === 'DocumentReference') return r.id;
  const sc = (r as { securityContext?: { reference?: string } }).securityContext?.reference;
  if (r.resourceType === 'Binary' && sc?.startsWith('DocumentReference/')) return sc.slice('DocumentReference/'.length);
  const source = ((r as { extension?: { url?: string; valueReference?: { reference?: string } }[] }).extension ?? []).find((e) => e.url === SOURCE_DOCUMENT_URL);
  return source?.valueReference?.reference?.replace(/^DocumentReference\//, '');
}

/** The facts of every stored row of the table: fixture.ts's rows and the matrix rows. */
export function buildCatalog(fixture: Resource[], matrix: MatrixRow[]): RowFacts[] {
  const all = [...fixture.map((resource) => ({ resource, compartment: compartmentOf(resource.id as string), matrix: false })), ...matrix.map((m) => ({ ...m, matrix: true }))];
  const docs = new Map(all.filter((x) => x.resource.resourceType === 'DocumentReference').map((x) => [x.resource.id as string, x.resource as DocumentReference]));
  const maskedDocs = new Set(
    all
      .map((x) => x.resource)
      .filter((r) => r.resourceType === 'Consent' && r.status === 'active' && r.provision?.type === 'deny')
      .flatMap((r) => ((r as { provision?: { data?: { reference?: { reference?: string } }[] } }).provision?.data ?? []).map((d) => d.reference?.reference ?? ''))
      .filter((x) => x.startsWith('DocumentReference/'))
      .map((x) => x.slice('DocumentReference/'.length)),
  );
  return all.map(({ resource, compartment, matrix: isMatrix }) => {
    const docId = governingDocId(resource);
    const doc = docId ? docs.get(docId) : undefined;
    const labels = [...(doc?.securityLabel ?? []).flatMap((l) => l.coding ?? []), ...(doc?.meta?.security ?? [])];
    return {
      type: resource.resourceType,
      id: resource.id as string,
      compartment,
      docId,
      flags: labels.filter((c) => c.system === A07).map((c) => c.code as string),
      masked: !!docId && maskedDocs.has(docId),
      authors: (doc?.author ?? []).map((a) => a.identifier).filter((i) => i?.system === IDNAT && i.value?.startsWith('8')).map((i) => (i?.value as string).slice(1)),
      matrix: isMatrix,
    };
  });
}

/** Types only the patient and his guardians ever see (never professionals): his consents and his audit trail. */
const PATIENT_ONLY = ['Consent', 'AuditEvent'];

/** Does this actor see this row (README "Who may do what")? Only for actors allowed to read at all. */
export function sees(actor: MatrixActor, row: RowFacts): boolean {
  const who = actor.who;
  if (!mayReadAtAll(actor)) return false;
  if (row.compartment === null) return classOf(row.type) === 'directory';
  if (who.kind === 'patient') {
    if (!who.records.includes(row.compartment)) return false;
    if (row.flags.includes('INVISIBLE_PATIENT')) return false;
    return !(who.guardian && row.flags.includes('INVISIBLE_REPRESENTANTS_LEGAUX'));
  }
  if (who.kind !== 'practitioner') return false; // feeders cannot read a record
  if (PATIENT_ONLY.includes(row.type)) return false;
  const record = RECORDS[row.compartment];
  if (!record || !record.opened || record.closed) return false;
  if (record.treating.includes(who.rpps)) return true; // masked documents included
  if (record.denied.includes(who.rpps)) return false;
  if (row.authors.includes(who.rpps)) return true; // his document, its Binary and extracted resources, even masked
  const emergency = (who.mode === 'samu' && !record.refused.includes('ETREAT')) || (who.mode === 'btg' && !record.refused.includes('BTG'));
  const granted = record.permitted.includes(who.rpps) || emergency;
  return granted && !row.masked && !row.flags.includes('MASQUE_PS');
}

/** Actors who may read at all (the others are refused every read). */
export function mayReadAtAll(actor: MatrixActor): boolean {
  return ['patient', 'practitioner', 'feeder'].includes(actor.who.kind);
}

/** The status every request of this actor gets whatever it asks, or undefined. */
export function refusedStatus(actor: MatrixActor): 400 | 403 | undefined {
  if (actor.who.kind === 'malformed') return 400; // break-glass without a reason
  if (actor.who.kind === 'excluded') return 403; // legal exclusions, whatever the consents say
  return undefined;
}

/**
 * Writes no one is offered, whoever asks: AuditEvents are written by the server only, and a Patient is never deleted
 * (its record is closed, then purged). The CapabilityStatement does not list them, so the router answers 405 before
 * any actor's rights are weighed (what is offered is public, so the answer tells no one anything about the record).
 */
function notOffered(type: string, interaction: 'create' | 'update' | 'patch' | 'delete'): boolean {
  return type === 'AuditEvent' || (type === 'Patient' && interaction === 'delete');
}

/** An expected status: one value, or the values equally allowed (403 or 404 for a row one may not see). */
export type ExpectedStatus = number | number[];

/** Expected status of a read, vread or history of one row. */
export function readStatus(actor: MatrixActor, row: RowFacts): ExpectedStatus {
  const refused = refusedStatus(actor);
  if (refused) return refused;
  if (!mayReadAtAll(actor)) return 403; // the Assurance Maladie never reads
  return sees(actor, row) ? 200 : 404;
}

/** Expected status of a search (200 with the visible rows unless the whole interaction is refused). */
export function searchStatus(actor: MatrixActor): number {
  return refusedStatus(actor) ?? (mayReadAtAll(actor) ? 200 : 403);
}

const owns = (actor: MatrixActor, patientId: string): boolean => actor.who.kind === 'patient' && actor.who.records.includes(patientId);

/** May this professional write into p1's record (open, not closed; treating or authorised and not blocked; not in emergency mode)? */
function writesInRecord(actor: MatrixActor, patientId: string): boolean {
  const who = actor.who;
  if (who.kind !== 'practitioner' || who.mode !== 'treat') return false; // emergency access is read-only
  const record = RECORDS[patientId];
  if (!record.opened || record.closed) return false;
  return record.treating.includes(who.rpps) || (record.permitted.includes(who.rpps) && !record.denied.includes(who.rpps));
}

/**
 * Expected status of creating a new instance of `type`: in p1's record for clinical and record types, a new
 * record for Patient, a new entry for directory types.
 */
export function createStatus(actor: MatrixActor, type: string): ExpectedStatus {
  if (notOffered(type, 'create')) return 405;
  const refused = refusedStatus(actor);
  if (refused) return refused;
  const kind = classOf(type);
  // Care-history documents (the extra cases), and a new record at its counters (a Patient with its INS).
  if (actor.who.kind === 'assurance-maladie') return type === 'Patient' ? 201 : 403;
  if (kind === 'directory') return 403; // directory administrators and the server's import only
  if (type === 'Patient') {
    // Opening a new record: the patient himself (his INS) or a professional recording it for him (the Assurance
    // Maladie above).
    return actor.who.kind === 'practitioner' && actor.who.mode === 'treat' ? 201 : 403;
  }
  // Hidden is absent (DESIGN §5): a professional or patient who may not see p1's record (its Patient) gets the answer of
  // a Patient that does not exist, 422, whatever else would refuse him; one who sees it is told why (403). Feeders find
  // records by INS inside their writes and are refused by what they are (feeding systems write documents only).
  const refusal = actor.who.kind === 'feeder' || seesRecord(actor, 'p1') ? 403 : 422;
  if (actor.who.kind === 'patient') return owns(actor, 'p1') ? 201 : refusal;
  if (type === 'Consent') return refusal; // only the patient or his guardian (a professional: the opening consent only)
  // DESIGN §4: a feeder creates documents on behalf of an authorised author, nothing else. Of the clinical types it
  // sends only the document itself (the DocumentReference, here by ITI-105, on behalf of the treating physician);
  // its Binary and SubmissionSet List come with it, and a Binary joining its own document is the extra
  // 'create-document-part' case. A free-standing row — an Observation, a Condition, a Binary kept under the Patient,
  // a List of no document — has no authorised author behind it: refused, in every record.
  if (actor.who.kind === 'feeder') return type === 'DocumentReference' ? 201 : 403;
  return writesInRecord(actor, 'p1') ? 201 : refusal;
}

/** Does this actor see the record of `patientId` at all, i.e. its Patient row (what a read of it would answer)? */
function seesRecord(actor: MatrixActor, patientId: string): boolean {
  return sees(actor, { type: 'Patient', id: patientId, compartment: patientId, flags: [], masked: false, authors: [], matrix: false });
}

/**
 * Expected status of update, patch or delete of `target`, a row written by the server's import (not by any
 * actor). DESIGN §5 Provenance: changing or deleting is for the writer (or his organisation); extracted resources
 * change only by replacing their document. Consents and the record's own settings are the patient's (and his
 * guardian's); directory entries are for directory administrators and the import; a Patient is never deleted.
 */
export function changeStatus(actor: MatrixActor, interaction: 'update' | 'patch' | 'delete', target: RowFacts): ExpectedStatus {
  if (notOffered(target.type, interaction)) return 405;
  const refused = refusedStatus(actor);
  if (refused) return refused;
  if (actor.who.kind === 'assurance-maladie') return 403;
  const type = target.type;
  const patientsOwn = ['Consent', 'RelatedPerson'].includes(type) || (type === 'Patient' && interaction !== 'delete');
  if (patientsOwn && target.compartment && owns(actor, target.compartment)) return interaction === 'delete' ? [200, 204] : 200;
  // Refused; a row the actor may not see answers as a missing one would: 403 to write there, or 404; a delete, the
  // no-op success of deleting an id that does not exist (the row itself is untouched: see leaks.test.ts).
  if (sees(actor, target)) return 403;
  return interaction === 'delete' ? [200, 204, 403, 404] : [403, 404];
}

/**
 * Expected status of a change of an entry the patient p1 wrote himself (through the API): his own entries are the
 * patient's, changed by him or his guardian only.
 */
export function changePatientsEntryStatus(actor: MatrixActor, entry: RowFacts): ExpectedStatus {
  const refused = refusedStatus(actor);
  if (refused) return refused;
  if (actor.who.kind === 'assurance-maladie') return 403;
  if (owns(actor, 'p1')) return 200;
  return sees(actor, entry) ? 403 : [403, 404];
}

/**
 * Expected status of a writer changing or deleting the entry he created himself (DESIGN §5: changing or deleting
 * a resource is for its writer), or undefined when the matrix does not ask: types he may not create, new records
 * (Patient: identity changes follow traced procedures), and feeders (whose documents are replaced, not edited: the
 * rules do not say more).
 */
export function ownChangeStatus(actor: MatrixActor, interaction: 'update' | 'patch' | 'delete', type: string): ExpectedStatus | undefined {
  if (type === 'Patient' || actor.who.kind === 'feeder' || createStatus(actor, type) !== 201) return undefined;
  return interaction === 'delete' ? [200, 204] : 200;
}

/**
 * Key of the write targets an actor's update, patch and delete use: his own, except for actors refused every
 * write before any row is read (the exclusions, break-glass without a reason, the Assurance Maladie), who share.
 */
export function targetKey(actor: MatrixActor): string {
  return ['excluded', 'malformed', 'assurance-maladie'].includes(actor.who.kind) ? 'refused' : actor.key;
}

/** Types the server does not offer: 404 for every actor. */
export const NOT_OFFERED_TYPES = ['Task', 'Basic', 'Provenance'];
