import { IDNAT, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11 (provenance, server-owned ties): a Binary whose securityContext names a DocumentReference becomes part of
// that document and follows its visibility and author. Attaching one to a stored document changes that document:
// it is for its author (or the feeder that submitted it), not for whoever may write in the record. d1 is written on
// behalf of another professional; spec is authorised in p1's record; d2 is masked from spec.

const { send } = useFixtureApp({
  spec: { kind: 'practitioner', id: RPPS.spec },
  patient: { kind: 'patient', id: 'p1' },
});

const binary = (securityContext: string) => ({ resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: securityContext }, data: Buffer.from('annexe').toString('base64') });

describe('a Binary joins a stored document only by its author', () => {
  it('refuses an authorised professional who is not the author (403 naming the rule)', async () => {
    const res = await send('spec', 'post', '/fhir/Binary', binary('DocumentReference/d1'));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toBe('Only the author of DocumentReference/d1 (or the feeder that submitted it) may add a Binary to it');
  });

  it('refuses the patient too: the document is its author’s (he masks it through Consent)', async () => {
    expect((await send('patient', 'post', '/fhir/Binary', binary('DocumentReference/d1'))).status).toBe(403);
  });

  it('lets the author add one to his own document, and anyone authorised add one to the record itself', async () => {
    const doc = {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      author: [{ identifier: { system: IDNAT, value: `8${RPPS.spec}` } }],
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
    };
    const created = await send('spec', 'post', '/fhir/DocumentReference', doc);
    expect(created.status).toBe(201);
    expect((await send('spec', 'post', '/fhir/Binary', binary(`DocumentReference/${created.body.id}`))).status).toBe(201);
    expect((await send('patient', 'post', '/fhir/Binary', binary(`DocumentReference/${created.body.id}`))).status).toBe(403);
    expect((await send('spec', 'post', '/fhir/Binary', binary('Patient/p1'))).status).toBe(201);
  });

  it('answers a document hidden from the caller exactly as one not written yet', async () => {
    const hidden = await send('spec', 'post', '/fhir/Binary', binary('DocumentReference/d2'));
    const missing = await send('spec', 'post', '/fhir/Binary', binary('DocumentReference/not-written-yet'));
    expect(hidden.status).toBe(missing.status);
  });
});
