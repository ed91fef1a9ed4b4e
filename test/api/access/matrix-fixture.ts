import type { Resource } from '@medplum/fhirtypes';
import { markSystemContext } from '../../../src/access/access-hooks';
import { classOf, OFFERED_TYPES } from '../../../src/access/resource-classes';
import type { RequestContext } from '../../../src/fhir/context';
import type { FhirService } from '../../../src/fhir/service';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { TRUE } from '../../../src/store/sql';
import { consent, IDNAT, INS_NIR, RPPS } from './fixture';
import { RequestState } from '../../../src/fhir/request-state';

// The rows the generated access matrix adds to the fixture of `fixture.ts`: one minimal valid instance of every
// clinical type in p1's record and one in p2's, one instance of every directory type, the record rows the fixture
// lacks, and one write target per (actor, type) so that a write that wrongly succeeds spoils no other case.

/** A matrix row: the resource and the record it belongs to (null for directory rows). */
export interface MatrixRow {
  resource: Resource;
  compartment: string | null;
}

const ref = (reference: string) => ({ reference });
const text = (t: string) => ({ text: t });
const A05 = 'https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire';
const A03 = 'https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument';

/** Id of the matrix instance of `type` in `record`'s record ('p1', 'p2'), or of a directory type (`record` omitted). */
export function rowId(type: string, record?: string): string {
  return record ? `mx-${type.toLowerCase()}-${record}` : `mx-${type.toLowerCase()}`;
}

/** Id of the write target of (`actorKey`, `type`): a row written by the server's import, in p1's record. */
export function targetId(actorKey: string, type: string): string {
  return `mw-${actorKey}-${type.toLowerCase()}`;
}

/** What each actor's update and patch change: the language of the resource, valid on every type. */
export const CHANGED_LANGUAGE = 'fr-FR';

/**
 * A minimal valid instance of a clinical type in `patientId`'s record (its compartment path names the Patient).
 * A DocumentReference is written on behalf of `author` (an IdNat_PS) or of an Organization; a Binary belongs to
 * `securityContext`.
 */
export function clinicalInstance(type: string, patientId: string, opts: { author?: string; securityContext?: string } = {}): Resource {
  const subject = ref(`Patient/${patientId}`);
  const code = { coding: [{ system: 'http://loinc.org', code: '8867-4' }], text: 'heart rate' };
  const med = { medicationCodeableConcept: text('paracetamol') };
  const bodies: Record<string, Record<string, unknown>> = {
    AllergyIntolerance: {
      patient: subject,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
      code: text('peanut'),
    },
    Binary: { contentType: 'text/plain', securityContext: ref(opts.securityContext ?? `Patient/${patientId}`), data: Buffer.from('matrix').toString('base64') },
    CarePlan: { status: 'active', intent: 'plan', subject },
    CareTeam: { status: 'active', subject },
    Condition: {
      subject,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: text('asthma'),
    },
    DiagnosticReport: { status: 'final', code, subject },
    DocumentReference: {
      status: 'current',
      subject,
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      author: [opts.author ? { identifier: { system: IDNAT, value: `8${opts.author}` } } : ref('Organization/org1')],
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('report').toString('base64') } }],
    },
    Encounter: { status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject },
    Flag: { status: 'active', code: text('fall risk'), subject },
    Goal: { lifecycleStatus: 'active', description: text('walk daily'), subject },
    ImagingStudy: { status: 'available', subject },
    Immunization: { status: 'completed', vaccineCode: text('DTP'), patient: subject, occurrenceDateTime: '2020-01-01' },
    List: { status: 'current', mode: 'working', subject },
    MedicationDispense: { status: 'completed', ...med, subject },
    MedicationRequest: { status: 'active', intent: 'order', ...med, subject },
    MedicationStatement: { status: 'active', ...med, subject },
    Observation: { status: 'final', code, subject },
    Procedure: { status: 'completed', subject },
    Specimen: { subject },
  };
  const body = bodies[type];
  if (!body) throw new Error(`no clinical instance for ${type}`);
  return { resourceType: type, ...body } as Resource;
}

/** A minimal valid directory instance; those that can name an Organization name org1 (for `_revinclude`). */
export function directoryInstance(type: string): Resource {
  const org1 = ref('Organization/org1');
  const bodies: Record<string, Record<string, unknown>> = {
    DeviceDefinition: { deviceName: [{ name: 'glucometer', type: 'user-friendly-name' }] },
    Endpoint: {
      status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
      payloadType: [text('any')],
      address: 'https://example.org/fhir',
      managingOrganization: org1,
    },
    HealthcareService: { name: 'radiology', providedBy: org1 },
    Location: { name: 'site A', managingOrganization: org1 },
    Medication: { code: text('paracetamol'), manufacturer: org1 },
    Organization: { name: 'laboratoire annexe', partOf: org1 },
    Practitioner: { name: [{ family: 'Matrix' }] },
    PractitionerRole: { organization: org1, code: [text('biologist')] },
    Substance: { code: text('latex') },
  };
  const body = bodies[type];
  if (!body) throw new Error(`no directory instance for ${type}`);
  return { resourceType: type, ...body } as Resource;
}

/** The reference parameter of a directory type that names org1 in its matrix instance (for `_revinclude`). */
export const DIRECTORY_ORG_PARAM: Readonly<Record<string, string>> = {
  Endpoint: 'organization',
  HealthcareService: 'organization',
  Location: 'organization',
  Medication: 'manufacturer',
  Organization: 'partof',
  PractitionerRole: 'organization',
};

/** A minimal valid record-management instance the fixture lacks (contacts, messages, trail entries). */
export function recordInstance(type: string, patientId: string): Resource {
  const patient = ref(`Patient/${patientId}`);
  switch (type) {
    case 'RelatedPerson':
      return { resourceType: 'RelatedPerson', patient, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FRND' }] }], name: [{ family: 'Contact' }] };
    case 'Communication':
      return { resourceType: 'Communication', status: 'completed', subject: patient, payload: [{ contentString: 'rendez-vous confirmé' }] };
    case 'AuditEvent':
      return {
        resourceType: 'AuditEvent',
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
        action: 'R',
        recorded: '2026-01-01T00:00:00Z',
        outcome: '0',
        agent: [{ requestor: true, who: { identifier: { system: IDNAT, value: `8${RPPS.spec}` } } }],
        source: { observer: { display: 'dmp-fhir' } },
        entity: [{ what: patient }],
      };
    case 'Consent':
      // A block of a professional who is no actor of the table: changes nobody's access.
      return consent('x', patientId, { type: 'deny', actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { identifier: { system: IDNAT, value: '810000000099' } } }] });
    default:
      throw new Error(`no record instance for ${type}`);
  }
}

/** A new Patient (a new record) with a well-formed INS numbered `n`. */
export function newPatient(n: number): Resource {
  const body = `2800175${String(n).padStart(6, '0')}`;
  const key = String(97 - Number(BigInt(body) % 97n)).padStart(2, '0');
  return { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: body + key }], name: [{ family: `Nouveau${n}`, given: ['Test'] }], gender: 'female', birthDate: '1980-01-01' };
}

/** The care-history document the Assurance Maladie may create (type REMB, class 60). */
export function careHistoryDocument(patientId: string): Resource {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    subject: ref(`Patient/${patientId}`),
    type: { coding: [{ system: A05, code: 'REMB' }] },
    category: [{ coding: [{ system: A03, code: '60' }] }],
    author: [ref('Organization/org1')],
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('remboursements').toString('base64') } }],
  } as Resource;
}

/**
 * The fixture's restricted documents of p1: d2 masked by consent, d3 MASQUE_PS, d4 INVISIBLE_PATIENT, d5
 * INVISIBLE_REPRESENTANTS_LEGAUX. Every clinical type gets one instance governed by each (extracted from it, or a
 * Binary belonging to it): the restriction must follow the document to every type.
 */
export const RESTRICTED_DOCS: readonly string[] = ['d2', 'd3', 'd4', 'd5'];

/** Clinical types whose instances can be governed by a document (all but DocumentReference itself). */
export const GOVERNED_TYPES: readonly string[] = OFFERED_TYPES.filter((t) => classOf(t) === 'clinical' && t !== 'DocumentReference');

/** An instance of `type` in p1's record governed by document `docId`: its Binary, or extracted from it. */
function governedInstance(type: string, docId: string): Resource {
  if (type === 'Binary') return clinicalInstance(type, 'p1', { securityContext: `DocumentReference/${docId}` });
  return { ...clinicalInstance(type, 'p1'), extension: [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: `DocumentReference/${docId}` } }] } as Resource;
}

/** Fixture rows that stand for the record types in p1's and p2's records (the fixture's own, or matrix rows). */
export const RECORD_ROWS: Readonly<Record<string, { p1: string; p2: string }>> = {
  Patient: { p1: 'p1', p2: 'p2' },
  Consent: { p1: 'c1-open', p2: 'c2-open' },
  RelatedPerson: { p1: 'rp1', p2: rowId('RelatedPerson', 'p2') },
  AuditEvent: { p1: rowId('AuditEvent', 'p1'), p2: rowId('AuditEvent', 'p2') },
  Communication: { p1: rowId('Communication', 'p1'), p2: rowId('Communication', 'p2') },
};

const MATRIX_RECORD_TYPES = ['RelatedPerson', 'AuditEvent', 'Communication'];
/** Types whose write targets are one row per actor (Patient and AuditEvent writes target the p1 rows). */
export const PER_ACTOR_TARGET_TYPES: readonly string[] = OFFERED_TYPES.filter((t) => !['Patient', 'AuditEvent'].includes(t));

/** The instance each actor's update, patch and delete of `type` target (a row written by the import). */
export function writeTarget(actorKey: string, type: string): string {
  if (type === 'Patient') return 'p1';
  if (type === 'AuditEvent') return rowId('AuditEvent', 'p1');
  return targetId(actorKey, type);
}

/** The instance of a type put in p1's record for the targets (record types get their contact/consent form). */
function targetInstance(type: string): { resource: Resource; compartment: string | null } {
  const kind = classOf(type);
  if (kind === 'directory') return { resource: directoryInstance(type), compartment: null };
  if (kind === 'record') return { resource: recordInstance(type, 'p1'), compartment: 'p1' };
  return { resource: clinicalInstance(type, 'p1'), compartment: 'p1' };
}

/** Every matrix row, given the actors' keys (for the write targets). */
export function buildMatrixRows(actorKeys: string[]): MatrixRow[] {
  const rows: MatrixRow[] = [];
  const put = (resource: Resource, id: string, compartment: string | null) => rows.push({ resource: { ...resource, id } as Resource, compartment });
  // Documents first: a Binary takes its record from the DocumentReference it belongs to.
  const types = ['DocumentReference', ...OFFERED_TYPES.filter((t) => t !== 'DocumentReference')];
  for (const type of types) {
    const kind = classOf(type);
    if (kind === 'clinical') {
      // p1's document is written on behalf of `author`; its Binary belongs to it (the author sees both).
      const opts = (record: string) => ({ author: record === 'p1' ? RPPS.author : undefined, securityContext: `DocumentReference/${rowId('DocumentReference', record)}` });
      for (const record of ['p1', 'p2']) put(clinicalInstance(type, record, opts(record)), rowId(type, record), record);
    } else if (kind === 'directory') {
      put(directoryInstance(type), rowId(type), null);
    } else if (MATRIX_RECORD_TYPES.includes(type)) {
      for (const record of ['p1', 'p2']) if (RECORD_ROWS[type][record as 'p1' | 'p2'] === rowId(type, record)) put(recordInstance(type, record), rowId(type, record), record);
    }
  }
  for (const type of GOVERNED_TYPES) for (const docId of RESTRICTED_DOCS) put(governedInstance(type, docId), rowId(type, docId), 'p1');
  for (const actorKey of new Set(actorKeys)) {
    for (const type of PER_ACTOR_TARGET_TYPES) {
      const { resource, compartment } = targetInstance(type);
      put(resource, targetId(actorKey, type), compartment);
    }
  }
  return rows;
}

/** Writes the matrix rows as the server itself (as `fixture.ts` does): the set-up depends on no write rule. */
export async function loadMatrixRows(service: FhirService, rows: MatrixRow[]): Promise<void> {
  const ctx: RequestContext = { requestId: 'matrix-fixture', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  for (const { resource } of rows) await service.repo.update(ctx, resource);
}
