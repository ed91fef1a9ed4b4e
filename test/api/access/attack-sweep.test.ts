import { INS_NIR, P1_INS, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11's outside check replays attack families against every actor. These are the conditional forms whose
// criteria could match a hidden row: a match must never be found through what the caller cannot read, so the answer
// is the one for no match (a creation), never the hidden row or a status that tells it exists.
// Fixture: d2 masked from spec, d4 INVISIBLE_PATIENT (hidden from the patient), d1 hidden from the blocked professional.

const { send, get } = useFixtureApp({
  spec: { kind: 'practitioner', id: RPPS.spec },
  blocked: { kind: 'practitioner', id: RPPS.blocked },
  patient: { kind: 'patient', id: 'p1' },
  feeder: { kind: 'system', id: 'lab-feeder' },
});

const note = (text: string) => ({ resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: 'Patient/p1' } });

describe('conditional creates never find what the caller cannot read', () => {
  for (const [who, hidden] of [['spec', 'd2'], ['patient', 'd4']] as const) {
    it(`If-None-Exist naming a hidden row (${who}, ${hidden}-obs) creates, like one that never existed`, async () => {
      const res = await send(who, 'post', '/fhir/Observation', note('probe')).set('If-None-Exist', `_id=${hidden}-obs`);
      expect(res.status).toBe(201);
      expect(res.body.id).not.toBe(`${hidden}-obs`);
    });

    it(`a transaction entry's ifNoneExist naming a hidden row (${who}) creates too, and its urn is not the hidden id`, async () => {
      const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:6e1f0b6e-0000-4000-8000-000000000001', resource: note('probe'), request: { method: 'POST', url: 'Observation', ifNoneExist: `_id=${hidden}-obs` } }] };
      const res = await send(who, 'post', '/fhir', bundle);
      expect(res.status).toBe(200);
      expect(res.body.entry[0].response.status).toBe('201 Created');
      expect(res.body.entry[0].response.location).not.toContain(`${hidden}-obs`);
    });
  }

  it('a feeder’s If-None-Exist on a Patient by INS answers no identity (it reads no Patient)', async () => {
    const patient = { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: P1_INS }], name: [{ family: 'Sonde' }], gender: 'female', birthDate: '1980-01-01' };
    const res = await send('feeder', 'post', '/fhir/Patient', patient).set('If-None-Exist', `identifier=${INS_NIR}|${P1_INS}`);
    expect(JSON.stringify(res.body)).not.toMatch(/patient@example\.org|"birthDate"|"telecom"|Martin/);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('the blocked professional’s conditional reference to a document he cannot read answers as for a missing one', async () => {
    const bundle = (doc: string) => ({
      resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...note('x'), derivedFrom: [{ reference: `DocumentReference?_id=${doc}` }] }, request: { method: 'POST', url: 'Observation' } }],
    });
    const hidden = await send('blocked', 'post', '/fhir', bundle('d1'));
    const missing = await send('blocked', 'post', '/fhir', bundle('zz-never-existed'));
    expect(hidden.status).toBe(missing.status);
    expect(JSON.stringify(hidden.body).split('d1').join('<d>')).toBe(JSON.stringify(missing.body).split('zz-never-existed').join('<d>'));
  });
});

describe('a document cannot take over a Binary someone else wrote', () => {
  it('the patient’s own file stays his when a professional’s document points at it (INVISIBLE_PATIENT)', async () => {
    const file = await send('patient', 'post', '/fhir/Binary', { resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: 'Patient/p1' }, data: Buffer.from('mon ordonnance').toString('base64') });
    expect(file.status).toBe(201);
    const doc = {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      securityLabel: [{ coding: [{ system: 'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument', code: 'INVISIBLE_PATIENT' }] }],
      author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.spec}` } }],
      content: [{ attachment: { contentType: 'text/plain', url: `Binary/${file.body.id}` } }],
    };
    const seen = async () => (await get('patient', `/fhir/Binary?_id=${file.body.id}&_summary=count`)).body.total;
    expect(await seen()).toBe(1);
    const taken = await send('spec', 'post', '/fhir/DocumentReference', doc);
    expect(taken.status).toBe(403);
    expect(await seen()).toBe(1);
  });
});

