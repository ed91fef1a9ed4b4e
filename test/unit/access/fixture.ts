import type { Consent, Patient, RelatedPerson, Resource } from '@medplum/fhirtypes';
import { applyAccessWrite } from '../../../src/access/access-tables';
import type { Db } from '../../../src/store/db';
import { sql } from '../../../src/store/sql';
import { buildConsent } from '../../support/consent';

export const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
export const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';
/** RPPS numbers of the fixture's professionals. */
export const RPPS = { gp: '10000000001', spec: '10000000002', author: '10000000004', blocked: '10000000005', other: '10000000009' };
export const P1_INS = '279035121518989';

interface Row {
  type: string;
  id: string;
  compartment?: string;
  docId?: string;
  security?: string[];
  authors?: string[];
  content?: Resource;
}

async function insertRow(db: Db, row: Row): Promise<void> {
  const content = row.content ?? ({ resourceType: row.type, id: row.id } as Resource);
  await db.query(sql`INSERT INTO resource (type, id, version_id, last_updated, compartment, doc_id, security, authors, content, text)
    VALUES (${row.type}, ${row.id}, 1, now(), ${row.compartment ?? null}, ${row.docId ?? null}, ${row.security ?? []}::text[],
      ${row.authors ?? []}::text[], ${JSON.stringify(content)}::jsonb, ${JSON.stringify(content)})`);
  // The store indexes every identifier as a token row; a professional's directory entries are found through them.
  for (const i of (content as { identifier?: { system?: string; value?: string }[] }).identifier ?? []) {
    await db.query(sql`INSERT INTO idx_token (rid, type, param, system, code)
      SELECT rid, type, 'identifier', ${i.system ?? null}, ${i.value ?? null} FROM resource WHERE type = ${row.type} AND id = ${row.id}`);
  }
}

/** Writes a resource row and feeds the access hook as the store would, inside one transaction. */
export async function writeResource(db: Db, row: Row): Promise<void> {
  await db.transaction(async (tx) => {
    await insertRow(tx, row);
    const resource = row.content ?? ({ resourceType: row.type, id: row.id } as Resource);
    await applyAccessWrite(tx, { interaction: 'create', resourceType: row.type, id: row.id, versionId: 1, resource, compartment: row.compartment ?? null });
  });
}

export { buildConsent };

const IRCP = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }][0];
export const professionalByRpps = (rpps: string) => ({ role: IRCP, reference: { identifier: { system: IDNAT, value: `8${rpps}` } } });
export const professionalByRef = (id: string) => ({ role: IRCP, reference: { reference: `Practitioner/${id}` } });
export const purpose = (code: string) => [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code }];
export const maskDoc = (docId: string) => [{ meaning: 'instance' as const, reference: { reference: `DocumentReference/${docId}` } }];

async function consent(db: Db, c: Consent): Promise<void> {
  await writeResource(db, { type: 'Consent', id: c.id!, compartment: c.patient!.reference!.slice(8), content: c });
}

async function patient(db: Db, p: Patient): Promise<void> {
  await writeResource(db, { type: 'Patient', id: p.id!, compartment: p.id, content: p });
}

/** A document: its DocumentReference, Binary and one extracted Observation, all governed by the DR. */
async function document(db: Db, patientId: string, docId: string, opts: { security?: string[]; authors?: string[]; codesOnDrOnly?: boolean } = {}): Promise<void> {
  const base = { compartment: patientId, docId, authors: opts.authors ?? [] };
  const security = opts.security ?? ['N'];
  await writeResource(db, { ...base, type: 'DocumentReference', id: docId, security });
  await writeResource(db, { ...base, type: 'Binary', id: `${docId}-bin`, security: opts.codesOnDrOnly ? ['N'] : security });
  await writeResource(db, { ...base, type: 'Observation', id: `${docId}-obs`, security: opts.codesOnDrOnly ? ['N'] : security });
}

const authorKeys = (rpps: string) => [`${IDNAT}|8${rpps}`];

/**
 * The fixture record set:
 * - p1: a minor, open record, treating physician Practitioner/gp (by reference), guardian rp1; spec authorised
 *   by IdNat_PS; Practitioner/blocked blocked; d2 masked by consent; d3 MASQUE_PS (on the DR only); d4
 *   INVISIBLE_PATIENT; d5 INVISIBLE_REPRESENTANTS_LEGAUX; d1 ordinary. d1–d3 written by `author`.
 * - p2: open, spec's permit expired, break-glass and SAMU refused in advance.
 * - p3: no opening consent. p4: opened then closed (Patient.active = false), gp treating, spec authorised.
 * - directory: Practitioner gp, Practitioner blocked, Organization org1; a system AuditEvent without compartment.
 */
export async function loadFixture(db: Db): Promise<void> {
  await writeResource(db, { type: 'Practitioner', id: 'gp', content: { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }] } });
  await writeResource(db, { type: 'Practitioner', id: 'blocked', content: { resourceType: 'Practitioner', id: 'blocked', identifier: [{ system: IDNAT, value: `8${RPPS.blocked}` }] } });
  await writeResource(db, { type: 'Organization', id: 'org1' });
  await writeResource(db, { type: 'AuditEvent', id: 'ae-system' });

  await patient(db, { resourceType: 'Patient', id: 'p1', birthDate: '2015-04-02', identifier: [{ system: INS_NIR, value: P1_INS }], generalPractitioner: [{ reference: 'Practitioner/gp' }] });
  const guardian: RelatedPerson = {
    resourceType: 'RelatedPerson', id: 'rp1', patient: { reference: 'Patient/p1' },
    relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] }],
  };
  await writeResource(db, { type: 'RelatedPerson', id: 'rp1', compartment: 'p1', content: guardian });
  await consent(db, buildConsent('c1-open', 'p1', { type: 'permit' }));
  await consent(db, buildConsent('c1-spec', 'p1', { type: 'permit', actor: [professionalByRpps(RPPS.spec)] }));
  await consent(db, buildConsent('c1-other-withdrawn', 'p1', { type: 'permit', actor: [professionalByRpps(RPPS.other)] }, 'inactive'));
  await consent(db, buildConsent('c1-blocked', 'p1', { type: 'deny', actor: [professionalByRef('blocked')] }));
  await consent(db, buildConsent('c1-blocked-permit', 'p1', { type: 'permit', actor: [professionalByRpps(RPPS.blocked)] }));
  await consent(db, buildConsent('c1-mask', 'p1', { type: 'deny', data: maskDoc('d2') }));
  await writeResource(db, { type: 'AllergyIntolerance', id: 'a1', compartment: 'p1' });
  await writeResource(db, { type: 'AuditEvent', id: 'ae1', compartment: 'p1' });
  await document(db, 'p1', 'd1', { authors: authorKeys(RPPS.author) });
  await document(db, 'p1', 'd2', { authors: authorKeys(RPPS.author) });
  await document(db, 'p1', 'd3', { authors: authorKeys(RPPS.author), security: ['N', 'MASQUE_PS'], codesOnDrOnly: true });
  await document(db, 'p1', 'd4', { security: ['N', 'INVISIBLE_PATIENT'] });
  await document(db, 'p1', 'd5', { security: ['R', 'INVISIBLE_REPRESENTANTS_LEGAUX'] });

  await patient(db, { resourceType: 'Patient', id: 'p2' });
  await consent(db, buildConsent('c2-open', 'p2', { type: 'permit' }));
  await consent(db, buildConsent('c2-spec-expired', 'p2', { type: 'permit', actor: [professionalByRpps(RPPS.spec)], period: { start: '2020-01-01', end: '2021-01-01' } }));
  await consent(db, buildConsent('c2-no-btg', 'p2', { type: 'deny', purpose: purpose('BTG') }));
  await consent(db, buildConsent('c2-no-samu', 'p2', { type: 'deny', purpose: purpose('ETREAT') }));
  await document(db, 'p2', 'e1');

  await patient(db, { resourceType: 'Patient', id: 'p3' });
  await document(db, 'p3', 'f1');

  await patient(db, { resourceType: 'Patient', id: 'p4', active: false, generalPractitioner: [{ reference: 'Practitioner/gp' }] });
  await consent(db, buildConsent('c4-open', 'p4', { type: 'permit' }));
  await consent(db, buildConsent('c4-spec', 'p4', { type: 'permit', actor: [professionalByRpps(RPPS.spec)] }));
  await document(db, 'p4', 'g1');
}
