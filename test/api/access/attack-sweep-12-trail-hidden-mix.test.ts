import type { AuditEvent, Bundle, Parameters } from '@medplum/fhirtypes';
import { type AuditServer, startAuditServer } from '../audit/server-harness';
import { loadFixture, RPPS } from './fixture';

// Attack sweep 12b, issue 11 "every access is an AuditEvent the patient can read" and "hidden means absent everywhere".
// p1's d4 is flagged INVISIBLE_PATIENT, d5 INVISIBLE_REPRESENTANTS_LEGAUX. A trail event naming a hidden document was
// left out of the trail whole: so an authorised professional's `Patient/p1/$everything` (which shows d4 with everything
// else), or any search of his that also matched d4 (`DocumentReference?_id=d1,d4`), vanished from p1's trail, and with
// it his reads of everything she may see. Such an event is now in her trail, served without d4's resources nor the
// query that named it; an event naming only hidden documents stays absent, and the chain still verifies.
let s: AuditServer;
const tokens: Record<string, string> = {};
const D4 = /(DocumentReference\/d4|Observation\/d4-obs|Binary\/d4-bin)\b/;
const D5 = /(DocumentReference\/d5|Observation\/d5-obs|Binary\/d5-bin)\b/;

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.patient = await s.token({ kind: 'patient', id: 'p1' });
  tokens.guardian = await s.token({ kind: 'guardian', id: 'rp1' });
  tokens.spec = await s.token({ kind: 'practitioner', id: RPPS.spec });
}, 120_000);
afterAll(() => s?.close());

/** The events of p1's trail made by the specialist, as the reader reads them. */
async function specEvents(reader: 'patient' | 'guardian'): Promise<AuditEvent[]> {
  const res = await s.fhir(tokens[reader], 'GET', '/AuditEvent?patient=p1&_count=1000');
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent)
    .filter((e) => e.agent?.some((a) => a.requestor && a.who?.identifier?.value === `8${RPPS.spec}`));
}
const named = (e: AuditEvent): string[] => (e.entity ?? []).map((x) => x.what?.reference ?? '');
const hasQuery = (e: AuditEvent): boolean => (e.entity ?? []).some((x) => x.query !== undefined);

describe('an access showing a hidden document with other data is in the patient’s trail, without the hidden document', () => {
  it('keeps the specialist’s $everything of p1 in her trail, naming what she sees and nothing of d4', async () => {
    const before = (await specEvents('patient')).length;
    const res = await s.fhir(tokens.spec, 'GET', '/Patient/p1/$everything?_count=100');
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('"id":"d4"'); // he did read d4 with the rest
    const events = await specEvents('patient');
    expect(events).toHaveLength(before + 1);
    const everything = events[events.length - 1];
    expect(everything.subtype).toContainEqual({ system: 'urn:dmp-fhir-adapter:operation', code: 'everything', display: '$everything' });
    expect(named(everything)).toEqual(expect.arrayContaining(['Patient/p1', expect.stringMatching(/^AllergyIntolerance\/a1\b/), expect.stringMatching(/^DocumentReference\/d1\b/)]));
    expect(JSON.stringify(everything)).not.toMatch(D4);
  });

  it('keeps a search that also matched d4 in her trail, without d4 and without the query that named it', async () => {
    const before = (await specEvents('patient')).length;
    const res = await s.fhir(tokens.spec, 'GET', '/DocumentReference?_id=d1,d4');
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(2);
    const events = await specEvents('patient');
    expect(events).toHaveLength(before + 1);
    const search = events[events.length - 1];
    expect(named(search)).toEqual(expect.arrayContaining([expect.stringMatching(/^DocumentReference\/d1\b/)]));
    expect(JSON.stringify(search)).not.toMatch(D4);
    expect(hasQuery(search)).toBe(false);
    // Read alone, the event is served the same way.
    const one = await s.fhir(tokens.patient, 'GET', `/AuditEvent/${search.id}`);
    expect(one.status).toBe(200);
    expect(JSON.stringify(one.body)).not.toMatch(D4);
  });

  it('still leaves out a read of d4 alone', async () => {
    const before = (await specEvents('patient')).length;
    expect((await s.fhir(tokens.spec, 'GET', '/DocumentReference/d4')).status).toBe(200);
    expect((await s.fhir(tokens.spec, 'GET', '/Observation?_id=d4-obs')).status).toBe(200);
    expect(await specEvents('patient')).toHaveLength(before);
  });

  it('shows the guardian the same access without d5, which the patient reads', async () => {
    const [patientBefore, guardianBefore] = [(await specEvents('patient')).length, (await specEvents('guardian')).length];
    expect((await s.fhir(tokens.spec, 'GET', '/DocumentReference?_id=d1,d5')).status).toBe(200);
    const [patient, guardian] = [await specEvents('patient'), await specEvents('guardian')];
    expect(patient).toHaveLength(patientBefore + 1);
    expect(guardian).toHaveLength(guardianBefore + 1);
    expect(JSON.stringify(patient[patient.length - 1])).toMatch(D5);
    expect(JSON.stringify(guardian[guardian.length - 1])).not.toMatch(D5);
    expect(named(guardian[guardian.length - 1])).toEqual(expect.arrayContaining([expect.stringMatching(/^DocumentReference\/d1\b/)]));
  });

  it('counts what she reads, and the chain verifies', async () => {
    const page = await s.fhir(tokens.patient, 'GET', '/AuditEvent?patient=p1&_count=1000');
    const count = await s.fhir(tokens.patient, 'GET', '/AuditEvent?patient=p1&_summary=count');
    expect(count.body.total).toBeGreaterThanOrEqual(page.body.entry.length);
    expect(count.body.total).toBeLessThanOrEqual(page.body.entry.length + 1); // the page read itself, filed after its answer
    expect(JSON.stringify(page.body)).not.toMatch(D4);
    const verify = await s.fhir(tokens.patient, 'GET', '/AuditEvent/$verify');
    expect((verify.body as Parameters).parameter?.find((p) => p.name === 'intact')?.valueBoolean).toBe(true);
  });
});
