import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { INS_NIR, loadFixture, P2_INS } from '../access/fixture';
import { type AuditServer, startAuditServer } from './server-harness';

// The production composition (startServer: audit, access, documents): a refused request is filed in the trail of
// the patient it names, read from the request itself, so that patient sees who tried (BALP: outcome 4, the caller
// as requesting agent).
let s: AuditServer;
let insurer: string;
let patient2: string;
let patient3: string;

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  insurer = await s.token({ kind: 'system', id: 'mutuelle', category: 'insurer' });
  patient2 = await s.token({ kind: 'patient', id: 'p2' });
  patient3 = await s.token({ kind: 'patient', id: 'p3' });
}, 120_000);
afterAll(() => s?.close());

/** The refused attempts in a patient's trail, as that patient reads them through the API. */
async function failures(token: string, patientId: string): Promise<AuditEvent[]> {
  const res = await s.fhir(token, 'GET', `/AuditEvent?patient=${patientId}&_count=500`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent).filter((e) => e.outcome !== '0');
}

const requestor = (event: AuditEvent) => event.agent?.find((a) => a.requestor);

describe('a refused request is filed in the trail of the patient it concerns', () => {
  it('files an insurer searching DocumentReference?patient=Patient/p2 in p2’s trail, with the insurer as agent', async () => {
    const before = (await failures(patient2, 'p2')).length;
    const refused = await s.fhir(insurer, 'GET', '/DocumentReference?patient=Patient/p2');
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');

    const trail = await failures(patient2, 'p2');
    expect(trail).toHaveLength(before + 1);
    const event = trail.find((e) => e.subtype?.[0]?.code === 'search-type') as AuditEvent;
    expect(['4', '8']).toContain(event.outcome);
    expect(event.action).toBe('E');
    expect(event.outcomeDesc).toMatch(/HTTP 403/);
    expect(requestor(event)?.who?.display).toBe('mutuelle (insurer)');
    const query = event.entity?.find((e) => e.query)?.query as string;
    expect(Buffer.from(query, 'base64').toString('utf8')).toBe('patient=Patient%2Fp2');
    expect(event.entity?.find((e) => e.what?.reference)?.what?.reference).toBe('Patient/p2');
  });

  // Four columns on every row: jest hands a row shorter than the test's parameters a `done` callback instead.
  const cases: [string, string, string, unknown][] = [
    ['a read of the Patient', 'GET', '/Patient/p2', undefined],
    ['a vread of the Patient', 'GET', '/Patient/p2/_history/1', undefined],
    ['the Patient’s history', 'GET', '/Patient/p2/_history', undefined],
    ['$everything', 'GET', '/Patient/p2/$everything', undefined],
    ['a read of one of the patient’s documents', 'GET', '/DocumentReference/e1', undefined],
    ['a search by subject', 'GET', '/Observation?subject=Patient/p2', undefined],
    ['a search by the patient’s INS (patient.identifier)', 'GET', `/DocumentReference?patient.identifier=${encodeURIComponent(`${INS_NIR}|${P2_INS}`)}`, undefined],
    ['a search of the Patient by _id', 'GET', '/Patient?_id=p2', undefined],
    ['a search posted to _search', 'POST_FORM', '/DocumentReference/_search', 'patient=p2'],
    ['a write naming the patient', 'POST', '/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p2' } }],
  ];

  it.each(cases)('files %s in the trail of that patient only', async (_name, method, url, body) => {
    const before2 = (await failures(patient2, 'p2')).length;
    const before3 = (await failures(patient3, 'p3')).length;
    const refused =
      method === 'POST_FORM'
        ? await fetch(`${s.server.fhirUrl}${url}`, { method: 'POST', headers: { authorization: `Bearer ${insurer}`, 'content-type': 'application/x-www-form-urlencoded' }, body: body as string })
        : undefined;
    const status = refused ? refused.status : (await s.fhir(insurer, method, url, body)).status;
    expect(status).toBe(403);
    const trail = await failures(patient2, 'p2');
    expect(trail).toHaveLength(before2 + 1);
    expect(trail.every((e) => requestor(e)?.who?.display === 'mutuelle (insurer)')).toBe(true);
    expect(await failures(patient3, 'p3')).toHaveLength(before3);
  });

  it('files a refused request naming no patient in no patient’s trail', async () => {
    const before = (await failures(patient2, 'p2')).length;
    expect((await s.fhir(insurer, 'GET', '/Observation?code=x')).status).toBe(403);
    expect(await failures(patient2, 'p2')).toHaveLength(before);
  });
});
