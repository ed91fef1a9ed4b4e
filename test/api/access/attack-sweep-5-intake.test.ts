import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Binary, Bundle, BundleEntry, DocumentReference, List } from '@medplum/fhirtypes';
import { INS_NIR, P1_INS, P2_INS, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { useSweepServer, type Answer, type Who } from './sweep-4';

// Issue 11's outside check, fifth sweep, family "intake", over HTTP on the production composition. Expected answers
// come from the rules (src/documents/README.md "ITI-65 / ITI-105 go through the same matching", "Patient", "Who may
// replace"; src/access/README.md "Compartments are explicit and total", "Who may write: feeding systems submit
// documents", "Identity"; DESIGN §5 "Identity"). What an attacker (or a careless feeder) gains from a gap: another
// person's document filed — and shown — in this record, or a record opened, renamed or taken over by a system that
// "cannot read".

const { call } = useSweepServer('dmp-sweep5-intake-');
const pdsm = (name: string): string => readFileSync(path.join(__dirname, '../../../fixtures/pdsm', `${name}.json`), 'utf8');
const P1_REF = `Patient?identifier=${INS_NIR}|${P1_INS}`;
const P2_REF = `Patient?identifier=${INS_NIR}|${P2_INS}`;
let n = 0;

/** The fixture lab report (two results) made p2's: her INS, birth name and birth date, written by the specialist. */
function labReportOfP2(): Buffer {
  n += 1;
  const xml = readFileSync(path.join(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'), 'utf8')
    .replace('<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>', `<id root="1.2.250.1.213.1.4.8" extension="${P2_INS}"/>`)
    .replace('<family qualifier="BR">PAT-TROIS</family>', '<family qualifier="BR">Durand</family>')
    .replace('<birthTime value="19790328"/>', '<birthTime value="19800101"/>')
    .replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.75.${n}"/>`)
    .split('extension="801234534765"').join(`extension="8${RPPS.spec}"`);
  if (!xml.includes(P2_INS) || !xml.includes(`1.2.250.1.999.1.1.75.${n}`)) throw new Error('fixture changed');
  return Buffer.from(xml);
}

/** The PDSm ITI-65 fixture for p1, written by the specialist p1 authorised, under a document id of its own. */
function submissionForP1(): { bundle: Bundle; list: List; doc: DocumentReference; binary: Binary } {
  n += 1;
  const bundle = JSON.parse(pdsm('iti65-submission').split('180057512345627').join(P1_INS).split('810001234567').join(`8${RPPS.spec}`)) as Bundle;
  const entries = bundle.entry as BundleEntry[];
  const doc = entries[1].resource as DocumentReference;
  doc.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.7.75.${n}` };
  return { bundle, list: entries[0].resource as List, doc, binary: entries[2].resource as Binary };
}

/** p2's lab report carried in p1's submission under `contentType`, at content position 0. */
function p2ReportInP1Submission(contentType: string): Bundle {
  const { bundle, doc, binary } = submissionForP1();
  const bytes = labReportOfP2();
  binary.contentType = contentType;
  binary.data = bytes.toString('base64');
  const attachment = doc.content[0].attachment;
  attachment.contentType = contentType;
  delete attachment.hash;
  delete attachment.size;
  delete doc.masterIdentifier;
  return bundle;
}

const documentsOf = async (who: Who, patient: string): Promise<number> => (await call(who, 'GET', `/DocumentReference?patient=Patient/${patient}&_summary=count`)).body.total as number;
const refused = (answer: Answer): boolean => answer.status >= 400 && answer.body?.resourceType === 'OperationOutcome';

describe('a document about another person is not filed in this record', () => {
  it('a CDA whose header names p2, carried as text/xml in p1\'s submission: 422, nothing written (the existing check)', async () => {
    const before = await documentsOf('patient', 'p1');
    const res = await call('feeder', 'POST', '', p2ReportInP1Submission('text/xml'));
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect(await documentsOf('patient', 'p1')).toBe(before);
  });

  for (const contentType of ['application/octet-stream', 'text/plain', 'application/hl7-cda+xml; charset=UTF-8', 'TEXT/XML']) {
    it(`the same CDA declared as ${contentType}: refused too, nothing written`, async () => {
      const before = await documentsOf('patient', 'p1');
      const res = await call('feeder', 'POST', '', p2ReportInP1Submission(contentType));
      expect([contentType, res.status, refused(res)]).toEqual([contentType, 422, true]);
      expect(await documentsOf('patient', 'p1')).toBe(before);
    });
  }

  it('the same CDA as the second content of a document whose first is a PDF: refused, nothing written', async () => {
    const before = await documentsOf('patient', 'p1');
    const { bundle, doc } = submissionForP1();
    const entries = bundle.entry as BundleEntry[];
    const pdf = Buffer.from('%PDF-1.4\n% compte rendu\n%%EOF\n');
    (entries[2].resource as Binary).contentType = 'application/pdf';
    (entries[2].resource as Binary).data = pdf.toString('base64');
    const first = doc.content[0];
    first.attachment = { ...first.attachment, contentType: 'application/pdf', hash: undefined, size: undefined };
    const cdaUrl = 'urn:uuid:0d3c7e10-0000-4000-8000-0000000000c2';
    doc.content.push({ attachment: { contentType: 'text/xml', url: cdaUrl }, format: first.format });
    entries.push({ fullUrl: cdaUrl, resource: { resourceType: 'Binary', contentType: 'text/xml', data: labReportOfP2().toString('base64') }, request: { method: 'POST', url: 'Binary' } });
    const res = await call('feeder', 'POST', '', bundle);
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect(await documentsOf('patient', 'p1')).toBe(before);
  });

  it('the same CDA published inline (ITI-105) under another media type: refused, nothing written', async () => {
    const before = await documentsOf('patient', 'p1');
    const { doc } = submissionForP1();
    delete doc.masterIdentifier;
    doc.subject = { reference: P1_REF };
    doc.content = [{ attachment: { contentType: 'application/octet-stream', data: labReportOfP2().toString('base64') } }];
    const res = await call('feeder', 'POST', '/DocumentReference', doc);
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect(await documentsOf('patient', 'p1')).toBe(before);
  });
});

describe('the metadata\'s patient is the subject', () => {
  it('a PDF submitted for p1 whose sourcePatientInfo carries p2\'s INS (or the SubmissionSet\'s sourcePatientId): refused, nothing written', async () => {
    for (const where of ['document', 'submission set'] as const) {
      const before = await documentsOf('patient', 'p1');
      const { bundle, doc, list, binary } = submissionForP1();
      binary.contentType = 'application/pdf';
      binary.data = Buffer.from('%PDF-1.4\n% compte rendu\n%%EOF\n').toString('base64');
      doc.content[0].attachment = { ...doc.content[0].attachment, contentType: 'application/pdf', hash: undefined, size: undefined };
      const holder = where === 'document' ? doc : list;
      const source = (holder.contained ?? []).find((c) => c.resourceType === 'Patient') as { identifier?: { system?: string; value?: string }[] };
      source.identifier = [{ system: INS_NIR, value: P2_INS }];
      const res = await call('feeder', 'POST', '', bundle);
      expect([where, res.status, refused(res)]).toEqual([where, 422, true]);
      expect(await documentsOf('patient', 'p1')).toBe(before);
    }
  });
});

describe('the new refusals tell nothing of a record the writer does not see', () => {
  it('an unauthorised professional\'s document in p2 answers the same whether its source patient carries p2\'s INS or another', async () => {
    const ask = (ins: string) => call('unauth', 'POST', '/DocumentReference', {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p2' },
      contained: [{ resourceType: 'Patient', id: 'src', identifier: [{ system: INS_NIR, value: ins }] }],
      context: { sourcePatientInfo: { reference: '#src' } },
      content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }],
    });
    const [right, wrong] = [await ask(P2_INS), await ask(withInsKey('1850275123456'))];
    expect([right.status, right.text.split(P2_INS).join('<ins>')]).toEqual([wrong.status, wrong.text.split(withInsKey('1850275123456')).join('<ins>')]);
    expect(right.status).toBe(422);
  });
});

describe('a CDA document enters only through a submission that checks its patient', () => {
  /** A text document the feeder filed in p1 (its own submission), and the id of its Binary. */
  async function ownTextDocument(): Promise<{ doc: string; binary: string; data: string }> {
    const { bundle, binary } = submissionForP1();
    binary.contentType = 'text/plain';
    binary.data = Buffer.from(`compte rendu ${n}`).toString('base64');
    const data = binary.data;
    const doc = (bundle.entry as BundleEntry[])[1].resource as DocumentReference;
    doc.content[0].attachment = { ...doc.content[0].attachment, contentType: 'text/plain', hash: undefined, size: undefined };
    const res = await call('feeder', 'POST', '', bundle);
    expect(res.status).toBe(200);
    const locations = (res.body.entry as { response: { location: string } }[]).map((e) => e.response.location.split('/_history/')[0].split('/').slice(-2).join('/'));
    return { doc: locations.find((l) => l.startsWith('DocumentReference/')) as string, binary: locations.find((l) => l.startsWith('Binary/')) as string, data };
  }
  const cdaBinary = (doc: string, contentType = 'text/xml') => ({ resourceType: 'Binary', contentType, securityContext: { reference: doc }, data: labReportOfP2().toString('base64') });

  it('p2\'s CDA added later to the feeder\'s own document in p1, as a new Binary, in a batch or by changing its Binary: refused', async () => {
    const { doc, binary, data } = await ownTextDocument();
    const created = await call('feeder', 'POST', '/Binary', cdaBinary(doc));
    expect([created.status, refused(created)]).toEqual([422, true]);
    const batch = await call('feeder', 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ resource: cdaBinary(doc, 'application/octet-stream'), request: { method: 'POST', url: 'Binary' } }] });
    expect(Number.parseInt(batch.body.entry[0].response.status, 10)).toBe(422);
    // A feeder changes no Binary (403 before its content is looked at); a professional changing the Binary of his own
    // document meets the same 422 as a creation.
    for (const [who, method] of [['feeder', 'PUT'], ['feeder', 'PATCH']] as const) {
      const res = await call(who, method, `/${binary}`, method === 'PUT' ? { ...cdaBinary(doc), id: binary.split('/')[1] } : [{ op: 'replace', path: '/data', value: labReportOfP2().toString('base64') }], method === 'PATCH' ? { 'Content-Type': 'application/json-patch+json' } : {});
      expect([who, method, refused(res)]).toEqual([who, method, true]);
    }
    const own = await call('spec', 'POST', '/DocumentReference', { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('note').toString('base64') } }] });
    expect(own.status).toBe(201);
    const ownBinary = (own.body.content[0].attachment.url as string).split('/').slice(-2).join('/');
    const put = await call('spec', 'PUT', `/${ownBinary}`, { ...cdaBinary(`DocumentReference/${own.body.id}`), id: ownBinary.split('/')[1] });
    expect([put.status, refused(put), put.body.issue?.[0]?.diagnostics]).toEqual([422, true, expect.stringMatching(/CDA document/)]);
    const patch = await call('spec', 'PATCH', `/${ownBinary}`, [{ op: 'replace', path: '/data', value: labReportOfP2().toString('base64') }], { 'Content-Type': 'application/json-patch+json' });
    expect([patch.status, refused(patch)]).toEqual([422, true]);
    const rawBytes = await call('spec', 'POST', '/Binary', labReportOfP2().toString('utf8'), { 'Content-Type': 'text/xml', 'X-Security-Context': `DocumentReference/${own.body.id}` });
    expect([rawBytes.status, refused(rawBytes)]).toEqual([422, true]);
    const inTransaction = await call('feeder', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:0d3c7e10-0000-4000-8000-0000000000e1', resource: cdaBinary(doc), request: { method: 'POST', url: 'Binary' } }] });
    expect([inTransaction.status, refused(inTransaction)]).toEqual([422, true]);
    expect((await call('patient', 'GET', `/${binary}`, undefined, { Accept: 'application/fhir+json' })).body.data).toBe(data);
  });

  it('p2\'s CDA whose body cannot be mapped (no document id): its header is still checked, refused', async () => {
    const before = await documentsOf('patient', 'p1');
    const bundle = p2ReportInP1Submission('text/xml');
    const binary = (bundle.entry as BundleEntry[])[2].resource as Binary;
    binary.data = Buffer.from(Buffer.from(binary.data as string, 'base64').toString('utf8').replace(/<id root="1\.2\.250\.1\.999\.1\.1\.75\.\d+"\/>/, '')).toString('base64');
    const res = await call('feeder', 'POST', '', bundle);
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect(await documentsOf('patient', 'p1')).toBe(before);
  });

  it('p1\'s own CDA still goes in through ITI-65 (the comparison can fail)', async () => {
    const { bundle, doc, binary } = submissionForP1();
    const xml = labReportOfP2().toString('utf8').replace(`extension="${P2_INS}"`, `extension="${P1_INS}"`).replace('>Durand<', '>Martin<').replace('<birthTime value="19800101"/>', '<birthTime value="20150402"/>');
    binary.contentType = 'text/xml';
    binary.data = Buffer.from(xml).toString('base64');
    doc.content[0].attachment = { ...doc.content[0].attachment, contentType: 'text/xml', hash: undefined, size: undefined };
    delete doc.masterIdentifier;
    const res = await call('feeder', 'POST', '', bundle);
    expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
  });
});

describe('an MHD submission names one record', () => {
  it('a SubmissionSet whose subject is another patient than its documents\': refused, nothing written in either record', async () => {
    const [p1Before, p2Before] = [await documentsOf('patient', 'p1'), await documentsOf('p2', 'p2')];
    const listsBefore = (await call('p2', 'GET', '/List?patient=Patient/p2&_summary=count')).body.total;
    const { bundle, list } = submissionForP1();
    list.subject = { reference: P2_REF };
    const res = await call('feeder', 'POST', '', bundle);
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect(res.body.issue[0].diagnostics).toMatch(/another patient|not the INS of the record/);
    expect([await documentsOf('patient', 'p1'), await documentsOf('p2', 'p2')]).toEqual([p1Before, p2Before]);
    expect((await call('p2', 'GET', '/List?patient=Patient/p2&_summary=count')).body.total).toBe(listsBefore);
  });

  it('a List of p2 naming a document p1 already holds, by the feeder that filed it or another: refused, p2 reads nothing of p1', async () => {
    const { bundle } = submissionForP1();
    const filed = await call('feeder', 'POST', '', bundle);
    expect(filed.status).toBe(200);
    const docRef = (filed.body.entry as { response: { location: string } }[]).map((e) => e.response.location.split('/_history/')[0].split('/').slice(-2).join('/')).find((l) => l.startsWith('DocumentReference/')) as string;
    const list = { resourceType: 'List', status: 'current', mode: 'working', subject: { reference: 'Patient/p2' }, code: { coding: [{ system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' }] }, entry: [{ item: { reference: docRef } }] };
    // Another feeder does not know the document (422 "does not exist"); the one that filed it may not list it elsewhere.
    for (const who of [{ kind: 'system', id: 'other-lab-feeder' }, { kind: 'system', id: 'lab-feeder' }] as const) {
      const res = await call(who, 'POST', '/List', list);
      expect([who.id, res.status, refused(res)]).toEqual([who.id, 422, true]);
      expect(res.body.issue[0].diagnostics).toMatch(who.id === 'lab-feeder' ? /another patient's record/ : /does not exist on this server/);
    }
    // Before: the SubmissionSet was filed in p2's record, which then read p1's document id, INS and author in it.
    const p2Lists = await call('p2', 'GET', '/List?patient=Patient/p2&_count=100');
    expect(JSON.stringify(p2Lists.body)).not.toContain(docRef);
  });
});

describe('a feeder changes only what it submitted', () => {
  it('another feeder\'s metadata PATCH (TD3.3, by id or conditional by uniqueId) of a feeder\'s document answers as for a missing one', async () => {
    const { bundle, doc } = submissionForP1();
    const uniqueId = doc.masterIdentifier?.value as string;
    const filed = await call('feeder', 'POST', '', bundle);
    expect(filed.status).toBe(200);
    const id = (filed.body.entry as { response: { location: string } }[]).map((e) => e.response.location.split('/_history/')[0].split('/').slice(-2).join('/')).find((l) => l.startsWith('DocumentReference/')) as string;
    const other = { kind: 'system', id: 'other-lab-feeder' } as const;
    const patch = [{ op: 'add', path: '/securityLabel/-', value: { coding: [{ system: 'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument', code: 'INVISIBLE_PATIENT' }] } }];
    const headers = { 'Content-Type': 'application/json-patch+json' };
    const byId = await call(other, 'PATCH', `/${id}`, patch, headers);
    const missingId = await call(other, 'PATCH', '/DocumentReference/zz-missing', patch, headers);
    expect([byId.status, byId.text.split(id.split('/')[1]).join('<id>')]).toEqual([missingId.status, missingId.text.split('zz-missing').join('<id>')]);
    const byIdentifier = await call(other, 'PATCH', `/DocumentReference?identifier=urn:ietf:rfc:3986|${uniqueId}`, patch, headers);
    const missingIdentifier = await call(other, 'PATCH', '/DocumentReference?identifier=urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.7.75.999999', patch, headers);
    expect([byIdentifier.status, byIdentifier.text.split(uniqueId).join('<u>')]).toEqual([missingIdentifier.status, missingIdentifier.text.split('urn:oid:1.2.250.1.999.7.75.999999').join('<u>')]);
    expect(byIdentifier.status).toBe(404);
    // The patient still sees it: nobody hid it from her.
    expect((await call('patient', 'GET', `/${id}`)).status).toBe(200);
  });
});

describe('a List updated in the transaction that files its document stays in its record', () => {
  it('a professional authorised in p1 and p2 cannot make his List of p2 name the document he files in p1 (PUT in one transaction)', async () => {
    expect((await call('p2', 'POST', '/Consent', { resourceType: 'Consent', status: 'active', scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] }, category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], patient: { reference: 'Patient/p2' }, policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] }, provision: { type: 'permit', actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.spec}` } } }] } })).status).toBe(201);
    const list = await call('spec', 'POST', '/List', { resourceType: 'List', status: 'current', mode: 'working', subject: { reference: 'Patient/p2' }, title: 'suivi' });
    expect(list.status).toBe(201);
    const docUrl = 'urn:uuid:0d3c7e10-0000-4000-8000-0000000000f1';
    for (const order of ['document first', 'list first'] as const) {
      const docEntry = { fullUrl: docUrl, resource: { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain', url: 'Binary/d1-bin' } }] }, request: { method: 'POST', url: 'DocumentReference' } };
      const listEntry = { resource: { resourceType: 'List', id: list.body.id, status: 'current', mode: 'working', subject: { reference: 'Patient/p2' }, title: 'suivi', entry: [{ item: { reference: docUrl } }] }, request: { method: 'PUT', url: `List/${list.body.id}` } };
      const res = await call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: order === 'document first' ? [docEntry, listEntry] : [listEntry, docEntry] });
      expect([order, res.status]).toEqual([order, 422]);
      expect(res.body.issue[0].diagnostics).toMatch(/another patient/);
    }
    expect(JSON.stringify((await call('p2', 'GET', `/List/${list.body.id}`)).body.entry ?? [])).toBe('[]');
  });
});

describe('a feeder opens, renames or takes over no record', () => {
  const person = { name: [{ use: 'official', family: 'NOUVEAU', given: ['Nina'] }], gender: 'female', birthDate: '1990-02-03' };
  const newIns = withInsKey('2900275123456');

  it('creates no Patient, directly, conditionally or inside its submission (only the Assurance Maladie opens at its counters)', async () => {
    const patient = { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: newIns }], ...person };
    const direct = await call('feeder', 'POST', '/Patient', patient);
    expect([direct.status, refused(direct)]).toEqual([403, true]);
    const conditional = await call('feeder', 'POST', '/Patient', patient, { 'If-None-Exist': `identifier=${INS_NIR}|${newIns}` });
    expect([conditional.status, refused(conditional)]).toEqual([403, true]);
    const { bundle, list, doc } = submissionForP1();
    const ref = 'urn:uuid:0d3c7e10-0000-4000-8000-0000000000d1';
    (bundle.entry as BundleEntry[]).unshift({ fullUrl: ref, resource: patient as never, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${INS_NIR}|${newIns}` } });
    list.subject = { reference: ref };
    doc.subject = { reference: ref };
    const inSubmission = await call('feeder', 'POST', '', bundle);
    expect(refused(inSubmission)).toBe(true);
    const am = await call('am', 'GET', `/Patient?identifier=${INS_NIR}|${newIns}`);
    expect(am.status).toBe(403);
    // The INS is still free: the Assurance Maladie opens the record (the comparison can fail).
    expect((await call('am', 'POST', '/Patient', patient)).status).toBe(201);
  });

  it('changes no identity field nor contact of a record, by PUT, PATCH, conditional update or inside its submission', async () => {
    const rename = { resourceType: 'Patient', id: 'p1', identifier: [{ system: INS_NIR, value: P1_INS }], name: [{ use: 'official', family: 'AUTRE' }], gender: 'male', birthDate: '1970-01-01', telecom: [{ system: 'email', value: 'feeder@example.org' }] };
    const attempts: [string, string, string, unknown, Record<string, string>?][] = [
      ['PUT', 'PUT', '/Patient/p1', rename],
      ['JSON Patch', 'PATCH', '/Patient/p1', [{ op: 'replace', path: '/birthDate', value: '1970-01-01' }], { 'Content-Type': 'application/json-patch+json' }],
      ['conditional PUT by INS', 'PUT', `/Patient?identifier=${INS_NIR}|${P1_INS}`, { ...rename, id: undefined }],
      ['conditional PATCH by INS', 'PATCH', `/Patient?identifier=${INS_NIR}|${P1_INS}`, [{ op: 'add', path: '/telecom/-', value: { system: 'email', value: 'feeder@example.org' } }], { 'Content-Type': 'application/json-patch+json' }],
      ['$update-identity', 'POST', '/Patient/p1/$update-identity', { resourceType: 'Parameters', parameter: [{ name: 'birthDate', valueDate: '1970-01-01' }, { name: 'reason', valueString: 'x' }] }],
      ['$change-contact', 'POST', '/Patient/p1/$change-contact', { resourceType: 'Parameters', parameter: [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'feeder@example.org' }] }],
    ];
    for (const who of ['feeder', 'am'] as Who[]) {
      for (const [label, method, url, body, headers] of attempts) {
        if (who === 'am' && label === '$update-identity') continue; // the Assurance Maladie runs the identity procedure
        const res = await call(who, method, url, body, headers);
        expect([who, label, res.status >= 400]).toEqual([who, label, true]);
      }
      const { bundle } = submissionForP1();
      (bundle.entry as BundleEntry[]).push({ resource: rename as never, request: { method: 'PUT', url: 'Patient/p1' } });
      expect([who, refused(await call(who, 'POST', '', bundle))]).toEqual([who, true]);
    }
    const p1 = (await call('patient', 'GET', '/Patient/p1')).body;
    expect([p1.birthDate, p1.gender, JSON.stringify(p1.telecom)]).toEqual(['2015-04-02', 'female', JSON.stringify([{ system: 'email', value: 'patient@example.org' }])]);
  });
});
