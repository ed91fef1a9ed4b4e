import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { INS_NIR, P1_INS } from './fixture';
import { useSweepServer, type Who } from './sweep-4';

// Issue 11's outside check, twelfth sweep, family "parameters": the forms of a search the parser answers, asked by
// actors who may read nothing of the record they name. Rule (issue 11, "Refused requests are filed in the trail of the
// patient they concern, search included"; src/audit/README.md, onDenied; query-patients.ts: "a search returning
// nothing, or a denied one, is still audited in that patient's trail"): whoever names a patient in a search — refused,
// answered empty, or answered with another record's rows — is in that patient's trail, whatever the spelling the search
// itself accepts. Before: the trail read a list of exact parameter names, the search reads the parameter: an insurer
// refused on `Observation?subject=p1` (or `subject=Patient/p1/_history/1`, `subject:Patient._id=p1`, `%20patient=p1`),
// an unauthorised professional whose search by those forms, or by the INS (`Patient?identifier=`), found nothing, and a
// professional authorised in p1 who searched `patient=p1,p2`, were filed in no trail of p1 (or p2): the patient never
// read that someone had looked.

const { call } = useSweepServer('dmp-sweep12-parameters-');

const INS = encodeURIComponent(`${INS_NIR}|${P1_INS}`);
/** The agent identifier the trail shows for each attacker (the IdNat_PS of his RPPS). */
const AGENT: Partial<Record<Who, string>> = { insurer: '810000000044', unauth: '810000000077', spec: '810000000002', blocked: '810000000005' };

/** The events of `patientId`'s trail (read by its own patient) whose requesting agent is `who`. */
async function eventsBy(reader: Who, patientId: string, who: Who): Promise<AuditEvent[]> {
  const res = await call(reader, 'GET', `/AuditEvent?patient=${patientId}&_count=1000`);
  expect(res.status).toBe(200);
  const events = ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
  return events.filter((e) => e.agent?.some((a) => a.requestor && a.who?.identifier?.value === AGENT[who]));
}

/** Forms of a search naming p1 that the search answers (each finds p1's rows for a reader of p1: checked below). */
const FORMS_NAMING_P1: string[] = [
  '/Observation?subject=p1',
  '/Observation?subject=Patient/p1/_history/1',
  '/Observation?subject:Patient._id=p1',
  '/Observation?%20patient=p1',
  '/Observation?patient=http://elsewhere.example/fhir/Patient/p1',
  `/Observation?subject:Patient.identifier=${INS}`,
  `/Patient?identifier=${INS}`,
];

describe('a search naming a patient is in that patient\'s trail, whatever its spelling', () => {
  it('each form names p1 for the search itself (the treating physician finds p1\'s rows by it)', async () => {
    for (const url of FORMS_NAMING_P1) {
      const res = await call('gp', 'GET', `${url}&_summary=count`);
      expect([url, res.status, (res.body as Bundle).total! > 0]).toEqual([url, 200, true]);
    }
  });

  for (const [who, status] of [['insurer', 403], ['unauth', 200], ['blocked', 200]] as const) {
    it(`${who}: ${status === 403 ? 'refused' : 'answered nothing'}, and filed in p1's trail, for every form`, async () => {
      for (const url of FORMS_NAMING_P1) {
        const before = (await eventsBy('patient', 'p1', who)).length;
        const res = await call(who, 'GET', url);
        expect([url, res.status]).toEqual([url, status]);
        if (status === 200) expect([url, (res.body as Bundle).total]).toEqual([url, 0]);
        expect([url, (await eventsBy('patient', 'p1', who)).length]).toEqual([url, before + 1]);
      }
    });
  }

  it('a search posted to _search with the form in its body: filed too', async () => {
    const before = (await eventsBy('patient', 'p1', 'unauth')).length;
    const res = await call('unauth', 'POST', '/Observation/_search', 'subject=Patient/p1/_history/1', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect([res.status, (res.body as Bundle).total]).toEqual([200, 0]);
    expect(await eventsBy('patient', 'p1', 'unauth')).toHaveLength(before + 1);
  });

  it('a professional authorised in p1 who also names p2 is filed in p2\'s trail, though only p1\'s rows came back', async () => {
    const before = (await eventsBy('p2', 'p2', 'spec')).length;
    const res = await call('spec', 'GET', '/AllergyIntolerance?patient=p1,p2');
    expect([res.status, (res.body as Bundle).entry?.map((e) => e.resource?.id)]).toEqual([200, ['a1']]);
    const events = await eventsBy('p2', 'p2', 'spec');
    expect(events).toHaveLength(before + 1);
    expect(events.every((e) => e.entity?.some((x) => x.what?.reference === 'Patient/p2'))).toBe(true);
  });

  it('a search naming no patient (another type\'s reference, a code) is in no patient\'s trail', async () => {
    const before = (await eventsBy('patient', 'p1', 'unauth')).length;
    for (const url of ['/Observation?subject=Group/p1', '/Observation?performer=Practitioner/p1', '/Observation?code=p1', '/Observation?subject:missing=true']) {
      expect([url, (await call('unauth', 'GET', url)).status]).toEqual([url, 200]);
    }
    expect(await eventsBy('patient', 'p1', 'unauth')).toHaveLength(before);
  });
});
