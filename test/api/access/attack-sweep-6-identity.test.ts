import type { Patient } from '@medplum/fhirtypes';
import { byRpps, consent, INS_NIR, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, sixth sweep, family "identity", over HTTP on the production composition. Expected answers
// come from the rules (DESIGN §5 "Identity": identity traits changed only through traced procedures; src/access/README.md
// "Identity traits change only through the identity procedure"; src/documents/README.md "Patient": a document without
// INS is filed in the Patient carrying its local identifier). What an attacker gains from a gap: a record that carries
// another person's local identifier at a hospital receives that person's documents, sent by the hospital's feeder by
// that identifier — his results, read by the attacker.

const { call } = useSweepServer('dmp-sweep6-identity-');
/** A hospital's local identifier (IPP) of the victim, printed on his appointment letters. */
const IPP = { system: 'urn:oid:1.2.250.1.999.9', value: 'IPP-77' };
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };

/** A PDF report the lab's feeder sends for the patient carrying `IPP`, written by the fixture's author. */
const reportByIpp = () => ({
  resourceType: 'DocumentReference',
  masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.7.6.1' },
  status: 'current',
  type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
  subject: { reference: `Patient?identifier=${IPP.system}|${IPP.value}` },
  author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.author}` } }],
  content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 victim').toString('base64'), title: 'CR de biologie' } }],
});
const documentsOfP2 = async (): Promise<number> => (await call('p2', 'GET', '/DocumentReference?patient=Patient/p2&_summary=count')).body.total as number;

describe('a record takes no other person\'s identifier', () => {
  it('the patient adds no identifier to his record by PATCH, PUT or transaction: 403, as for his INS', async () => {
    const own = (await call('p2', 'GET', '/Patient/p2')).body as Patient;
    const withIpp = { ...own, identifier: [...(own.identifier ?? []), IPP] };
    const attempts = [
      ['JSON Patch', await call('p2', 'PATCH', '/Patient/p2', [{ op: 'add', path: '/identifier/-', value: IPP }], JSON_PATCH)],
      ['PUT', await call('p2', 'PUT', '/Patient/p2', withIpp)],
      ['transaction', await call('p2', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: withIpp, request: { method: 'PUT', url: 'Patient/p2' } }] })],
    ] as const;
    for (const [label, res] of attempts) expect([label, res.status, res.body?.resourceType]).toEqual([label, 403, 'OperationOutcome']);
    expect(((await call('p2', 'GET', '/Patient/p2')).body as Patient).identifier).toEqual(own.identifier);
  });

  it('so the feeder\'s report sent by that identifier is not filed in the attacker\'s record, even once he authorised its author', async () => {
    // The attacker authorises the report's author in his own record, as the feeder's author check asks.
    const permit = await call('p2', 'POST', '/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.author)] }), id: undefined });
    expect(permit.status).toBe(201);
    await call('p2', 'PATCH', '/Patient/p2', [{ op: 'add', path: '/identifier/-', value: IPP }], JSON_PATCH);
    const before = await documentsOfP2();
    const res = await call('feeder', 'POST', '/DocumentReference', reportByIpp());
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await documentsOfP2()).toBe(before);
  });

  it('a professional opening a record names no treating physician: 403, nothing written (himself or a colleague would read every document, masked ones included)', async () => {
    const gps = [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810000000077' } }, { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.author}` } }];
    const fake = { resourceType: 'Patient', identifier: [{ system: IPP.system, value: 'IPP-87' }], name: [{ family: 'LEURRE' }], gender: 'female', birthDate: '1990-01-01' };
    for (const generalPractitioner of [gps, gps.slice(0, 1), gps.slice(1)]) {
      const res = await call('unauth', 'POST', '/Patient', { ...fake, generalPractitioner });
      expect([res.status, res.body?.resourceType]).toEqual([403, 'OperationOutcome']);
      expect(res.body.issue[0].diagnostics).toContain('names no treating physician');
    }
    const inTransaction = await call('unauth', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...fake, generalPractitioner: gps }, request: { method: 'POST', url: 'Patient' } }] });
    expect(inTransaction.status).toBe(403);
    expect((await call('unauth', 'GET', `/Patient?identifier=${IPP.system}|IPP-87&_summary=count`)).body.total).toBe(0);
  });

  it('a record a professional opened with another person\'s IPP receives no report a feeder sends by that IPP: feeders file by INS only', async () => {
    // The unauthorised professional opens a record with no INS, carrying the victim's IPP, and records its opening.
    const fake = { resourceType: 'Patient', identifier: [{ system: IPP.system, value: 'IPP-88' }], name: [{ family: 'LEURRE' }], gender: 'female', birthDate: '1990-01-01' };
    const opened = await call('unauth', 'POST', '/Patient', fake);
    expect(opened.status).toBe(201);
    expect((await call('unauth', 'POST', '/Consent', { ...consent('x', opened.body.id, { type: 'permit' }), id: undefined })).status).toBe(201);
    const report = { ...reportByIpp(), masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.7.6.2' }, subject: { reference: `Patient?identifier=${IPP.system}|IPP-88` } };
    const res = await call('feeder', 'POST', '/DocumentReference', report);
    expect([res.status, res.body?.resourceType]).toEqual([403, 'OperationOutcome']);
    // Refused for the identifier it names, before any author check: a feeder files by INS only.
    expect(res.body.issue[0].diagnostics).toContain('finds a patient only by the INS');
    expect((await call('unauth', 'GET', `/DocumentReference?patient=Patient/${opened.body.id}&_summary=count`)).body.total).toBe(0);
  });

  it('a patient opening his record online gives his INS only: another identifier is refused (403), nothing written', async () => {
    const ins = withInsKey('1990975123477');
    const self = { kind: 'patient' as const, id: ins };
    const body = { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: ins }, IPP], name: [{ family: 'ENLIGNE' }], gender: 'male', birthDate: '1999-09-09' };
    const res = await call(self, 'POST', '/Patient', body);
    expect([res.status, res.body?.resourceType]).toEqual([403, 'OperationOutcome']);
    expect((await call(self, 'GET', `/Patient?identifier=${INS_NIR}|${ins}&_summary=count`)).body.total).toBe(0);
    // The comparison can fail: the same opening with the INS alone is accepted.
    expect((await call(self, 'POST', '/Patient', { ...body, identifier: [{ system: INS_NIR, value: ins }] })).status).toBe(201);
  });
});
