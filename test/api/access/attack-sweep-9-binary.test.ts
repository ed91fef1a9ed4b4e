import { useSweepServer, type Answer } from './sweep-4';

// Issue 11's outside check, ninth sweep, family "Binary and attachments", over HTTP on the production composition.
// Rule (DESIGN §5 "Hidden is absent", src/access/README.md): a Binary a DocumentReference governs follows that
// document — its masks, labels and authors decide who reads it and every version of it — and the patient masks a
// document through Consent, which its author cannot undo. Before: a Binary adopted by a document (its securityContext
// naming the Patient) was recomputed from its securityContext at each update, so its writer detached the content of a
// document the patient had masked by a plain PUT (even one that changed nothing), by naming another of his documents, or
// by deleting it (its history then read under the detached tombstone), and the SAMU regulator read the masked content.
// Fixture: p1 open, spec authorised, the SAMU regulator reads p1's non-masked record.

const { call } = useSweepServer('dmp-sweep9-binary-');
const text = (s: string) => Buffer.from(s).toString('base64');
const N = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] };

/** spec files a Binary under the Patient, then a document pointing at it (which adopts it); returns both ids. */
async function fileDocument(content: string): Promise<{ doc: string; bin: string }> {
  const bin = await call('spec', 'POST', '/Binary', { resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: 'Patient/p1' }, data: text(content) });
  expect(bin.status).toBe(201);
  const doc = await call('spec', 'POST', '/DocumentReference', {
    resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, securityLabel: [N],
    content: [{ attachment: { contentType: 'text/plain', url: `Binary/${bin.body.id}` } }],
  });
  expect(doc.status).toBe(201);
  return { doc: doc.body.id, bin: bin.body.id };
}

async function patientMasks(doc: string): Promise<void> {
  const res = await call('patient', 'POST', '/Consent', {
    resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/p1' },
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], policy: [{ uri: 'https://dmp-fhir-adapter.org/policy' }],
    provision: { type: 'permit', provision: [{ type: 'deny', data: [{ meaning: 'instance', reference: { reference: `DocumentReference/${doc}` } }] }] },
  });
  expect(res.status).toBe(201);
}

/** What the SAMU regulator is answered about a Binary: read, vread of its first version, its history. */
async function samuSees(bin: string): Promise<[number, number, number]> {
  const read = await call('samu', 'GET', `/Binary/${bin}`, undefined, { Accept: 'text/plain' });
  const vread = await call('samu', 'GET', `/Binary/${bin}/_history/1`);
  const history: Answer = await call('samu', 'GET', `/Binary/${bin}/_history`);
  return [read.status, vread.status, history.status === 200 ? (history.body.entry ?? []).length : history.status];
}
const ABSENT: [number, number, number] = [404, 404, 404];

describe('the content of a document the patient masked stays masked, whatever its writer does to the Binary', () => {
  it('the comparison can fail: before the mask the SAMU regulator reads the content', async () => {
    const { bin } = await fileDocument('bilan visible');
    expect(await samuSees(bin)).toEqual([200, 200, 1]);
  });

  it('a PUT keeping or naming the Patient as securityContext leaves it governed by the document', async () => {
    const { doc, bin } = await fileDocument('bilan masqué 1');
    await patientMasks(doc);
    expect(await samuSees(bin)).toEqual(ABSENT);
    const put = await call('spec', 'PUT', `/Binary/${bin}`, { resourceType: 'Binary', id: bin, contentType: 'text/plain', securityContext: { reference: 'Patient/p1' }, data: text('bilan masqué 1') });
    expect(put.status).toBe(200);
    expect(await samuSees(bin)).toEqual(ABSENT);
    // Its author still reads it (the mask hides it from others, not from him).
    expect((await call('spec', 'GET', `/Binary/${bin}`, undefined, { Accept: 'text/plain' })).text).toBe('bilan masqué 1');
  });

  it('held: a PUT without securityContext, or raw bytes, is refused as for any Binary (422), and it stays masked', async () => {
    const { doc, bin } = await fileDocument('bilan masqué 2');
    await patientMasks(doc);
    expect((await call('spec', 'PUT', `/Binary/${bin}`, { resourceType: 'Binary', id: bin, contentType: 'text/plain', data: text('bilan masqué 2') })).status).toBe(422);
    expect((await call('spec', 'PUT', `/Binary/${bin}`, 'bilan masqué 2', { 'Content-Type': 'text/plain' })).status).toBe(422);
    expect(await samuSees(bin)).toEqual(ABSENT);
  });

  it('moving it to another document of the same writer is refused (403), and it stays masked', async () => {
    const { doc, bin } = await fileDocument('bilan masqué 3');
    const other = await fileDocument('autre bilan');
    await patientMasks(doc);
    const put = await call('spec', 'PUT', `/Binary/${bin}`, { resourceType: 'Binary', id: bin, contentType: 'text/plain', securityContext: { reference: `DocumentReference/${other.doc}` }, data: text('bilan masqué 3') });
    expect(put.status).toBe(403);
    expect(put.text).toContain(`part of DocumentReference/${doc}`);
    expect(await samuSees(bin)).toEqual(ABSENT);
  });

  it('deleting it does not expose its versions', async () => {
    const { doc, bin } = await fileDocument('bilan masqué 4');
    await patientMasks(doc);
    expect((await call('spec', 'DELETE', `/Binary/${bin}`)).status).toBe(200);
    const missing = await samuSees('zz-never-written');
    expect(await samuSees(bin)).toEqual(missing);
  });
});
