import { A07, byRpps, consent, RPPS } from './fixture';
import { useSweepServer, type Who } from './sweep-4';

// Issue 11's outside check, tenth sweep, family "labels on writes", over HTTP on the production composition.
// Rule (src/access/README.md "Who may change what": a DocumentReference's labels are its author's or its feeder's, "the
// patient masks through a Consent, never by editing labels"; DMP-CONTRACT §4: INVISIBLE_PATIENT hides a document from the
// patient "until a professional makes it visible"). The guard on visibility flags spared every DocumentReference, so a
// guardian filed in a minor's record a document flagged INVISIBLE_PATIENT: hidden from the minor, and from the guardian
// too (who acts as the patient), neither could see or withdraw it, while the treating physician and every authorised
// professional read it. A patient or guardian now adds no visibility flag to a document, by any write; he masks
// through Consent. Professionals and feeders keep theirs.
// Fixture: p1 a minor, open; rp1 her mother (guardian); gp treating; spec authorised; d1 written by `author`.

const { call } = useSweepServer('dmp-sweep10-flags-');
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const flag = (code: string) => ({ coding: [{ system: A07, code }] });
const N = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] };

const documentOf = (labels: unknown[] = [N]) => ({
  resourceType: 'DocumentReference',
  status: 'current',
  subject: { reference: 'Patient/p1' },
  type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
  securityLabel: labels,
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('un mot des parents').toString('base64') } }],
});

/** Document ids of p1's record the treating physician reads (he reads every document, masked ones included). */
async function documentsOfRecord(): Promise<string[]> {
  const bundle = (await call('gp', 'GET', '/DocumentReference?subject=Patient/p1&_count=200&_elements=id')).body;
  return (bundle.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
}

describe('a patient or guardian adds no visibility flag to a document', () => {
  const cases: [Who, string][] = [
    ['guardian', 'INVISIBLE_PATIENT'],
    ['patient', 'INVISIBLE_PATIENT'],
    ['guardian', 'MASQUE_PS'],
    ['patient', 'INVISIBLE_REPRESENTANTS_LEGAUX'],
  ];
  for (const [who, code] of cases) {
    it(`${who}: a document created with ${code} is refused (422), nothing filed`, async () => {
      const before = await documentsOfRecord();
      const created = await call(who, 'POST', '/DocumentReference', documentOf([N, flag(code)]));
      expect(created.status).toBe(422);
      expect(created.text).toContain(code);
      const inMeta = await call(who, 'POST', '/DocumentReference', { ...documentOf(), meta: { security: [{ system: A07, code }] } });
      expect(inMeta.status).toBe(422);
      const inBundle = await call(who, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: documentOf([N, flag(code)]), request: { method: 'POST', url: 'DocumentReference' } }] });
      expect(inBundle.status).toBe(422);
      expect(await documentsOfRecord()).toEqual(before);
    });
  }

  it('nor by changing a document he filed: PUT, JSON Patch and FHIRPath Patch are refused, the document stays visible', async () => {
    const created = await call('guardian', 'POST', '/DocumentReference', documentOf());
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const put = await call('guardian', 'PUT', `/DocumentReference/${id}`, { ...documentOf([N, flag('INVISIBLE_PATIENT')]), id });
    const patch = await call('guardian', 'PATCH', `/DocumentReference/${id}`, [{ op: 'add', path: '/securityLabel/-', value: flag('INVISIBLE_PATIENT') }], JSON_PATCH);
    const fhirPath = await call('guardian', 'PATCH', `/DocumentReference/${id}`, {
      resourceType: 'Parameters',
      parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'insert' }, { name: 'path', valueString: 'DocumentReference.securityLabel' }, { name: 'index', valueInteger: 1 }, { name: 'value', valueCodeableConcept: flag('INVISIBLE_PATIENT') }] }],
    });
    expect([put.status, patch.status, fhirPath.status]).toEqual([422, 422, 422]);
    const read = await call('patient', 'GET', `/DocumentReference/${id}`);
    expect([read.status, read.body.meta?.versionId]).toEqual([200, '1']);
  });

  it('the comparison can fail: the author of a document still flags it INVISIBLE_PATIENT, and the patient no longer sees it', async () => {
    // The author of d1 reads it; to write in the record he must be authorised, as any professional.
    expect((await call('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(RPPS.author)] }), id: undefined })).status).toBe(201);
    const patched = await call('author', 'PATCH', '/DocumentReference/d1', [{ op: 'add', path: '/securityLabel/-', value: flag('INVISIBLE_PATIENT') }], JSON_PATCH);
    expect(patched.status).toBe(200);
    expect((await call('patient', 'GET', '/DocumentReference/d1')).status).toBe(404);
  });

  it('the comparison can fail: a document the guardian files with no flag is read by the patient', async () => {
    const created = await call('guardian', 'POST', '/DocumentReference', documentOf());
    expect(created.status).toBe(201);
    expect((await call('patient', 'GET', `/DocumentReference/${created.body.id}`)).status).toBe(200);
  });
});
