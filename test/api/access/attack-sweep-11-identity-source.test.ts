import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Binary, Bundle, BundleEntry, DocumentReference, List, Patient } from '@medplum/fhirtypes';
import { INS_NIR, P1_INS, P2_INS, RPPS } from './fixture';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11's outside check, eleventh sweep, family "identity and filing": the source's patient a document's metadata
// names is the record's (src/documents/README.md "The source's patient is the record's"; DESIGN §5 "Identity": identity
// vigilance, a document is filed only in the record its identity agrees with). Expected answers come from those rules.
// Sweep 5 refused a contained Patient carrying another person's INS; what was left: the same INS written as a reference
// by identifier (`context.sourcePatientInfo.identifier`) or as the SubmissionSet's `ihe-sourcePatientId` Identifier,
// `sourcePatientInfo` naming another record (`Patient/p2`), and a contained snapshot of another person (her birth date,
// sex and birth name) under the record's INS — each filed in p1, where p1's readers read p2's INS, p2's record id, or a
// document that says it is about someone else.

const { call } = useSweepServer('dmp-sweep11-identity-source-');
const pdsm = (name: string): string => readFileSync(path.join(__dirname, '../../../fixtures/pdsm', `${name}.json`), 'utf8');
const refused = (answer: Answer): boolean => answer.status === 422 && answer.body?.resourceType === 'OperationOutcome';
const SOURCE_PATIENT_ID = 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourcePatientId';
let n = 0;

/** The PDSm ITI-65 fixture for p1 (a PDF), written by the specialist p1 authorised. */
function submissionForP1(): { bundle: Bundle; doc: DocumentReference; list: List; source: Patient } {
  n += 1;
  const bundle = JSON.parse(pdsm('iti65-submission').split('180057512345627').join(P1_INS).split('810001234567').join(`8${RPPS.spec}`)) as Bundle;
  const entries = bundle.entry as BundleEntry[];
  const doc = entries[1].resource as DocumentReference;
  const binary = entries[2].resource as Binary;
  binary.contentType = 'application/pdf';
  binary.data = Buffer.from(`%PDF-1.4\n% compte rendu ${n}\n%%EOF\n`).toString('base64');
  doc.content[0].attachment = { ...doc.content[0].attachment, contentType: 'application/pdf', hash: undefined, size: undefined };
  delete doc.masterIdentifier;
  return { bundle, doc, list: entries[0].resource as List, source: (doc.contained ?? []).find((c) => c.resourceType === 'Patient') as Patient };
}
const documentsOfP1 = async (): Promise<number> => (await call('patient', 'GET', '/DocumentReference?patient=Patient/p1&_summary=count')).body.total as number;

describe('the source\'s patient named otherwise than by a contained Patient is the record\'s too', () => {
  const attempts: [string, (s: ReturnType<typeof submissionForP1>) => void][] = [
    ['sourcePatientInfo by identifier, p2\'s INS', (s) => { (s.doc.context ??= {}).sourcePatientInfo = { identifier: { system: INS_NIR, value: P2_INS } }; }],
    ['sourcePatientInfo naming Patient/p2', (s) => { (s.doc.context ??= {}).sourcePatientInfo = { reference: 'Patient/p2' }; }],
    ['sourcePatientInfo naming a Patient that does not exist', (s) => { (s.doc.context ??= {}).sourcePatientInfo = { reference: 'Patient/nobody-here' }; }],
    ['the SubmissionSet\'s ihe-sourcePatientId as an Identifier, p2\'s INS', (s) => {
      s.list.extension = [...(s.list.extension ?? []).filter((e) => e.url !== SOURCE_PATIENT_ID), { url: SOURCE_PATIENT_ID, valueIdentifier: { system: INS_NIR, value: P2_INS } }];
    }],
  ];
  for (const [label, mutate] of attempts) {
    it(`${label}: 422 naming the element, nothing written`, async () => {
      const before = await documentsOfP1();
      const s = submissionForP1();
      mutate(s);
      const res = await call('feeder', 'POST', '', s.bundle);
      expect([label, res.status, refused(res)]).toEqual([label, 422, true]);
      expect(await documentsOfP1()).toBe(before);
    });
  }

  it('an existing Patient and one that does not exist are refused in the same words (nothing told of p2)', async () => {
    const answer = async (reference: string) => {
      const s = submissionForP1();
      (s.doc.context ??= {}).sourcePatientInfo = { reference };
      const res = await call('feeder', 'POST', '', s.bundle);
      return [res.status, JSON.stringify(res.body).split(reference).join('<named>')];
    };
    expect(await answer('Patient/p2')).toEqual(await answer('Patient/nobody-here'));
  });

  it('by ITI-105 and by a plain update of the document too', async () => {
    const { doc } = submissionForP1();
    doc.subject = { reference: `Patient?identifier=${INS_NIR}|${P1_INS}` };
    doc.content = [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4\n% iti-105\n%%EOF\n').toString('base64') } }];
    const published = await call('feeder', 'POST', '/DocumentReference', { ...doc, context: { ...doc.context, sourcePatientInfo: { identifier: { system: INS_NIR, value: P2_INS } } } });
    expect([published.status, refused(published)]).toEqual([422, true]);
    // The specialist's own note in p1, which he may update.
    const own = await call('spec', 'POST', '/DocumentReference', { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('note').toString('base64') } }] });
    expect(own.status).toBe(201);
    const stored = own.body as DocumentReference;
    for (const sourcePatientInfo of [{ reference: 'Patient/p2' }, { identifier: { system: INS_NIR, value: P2_INS } }]) {
      const put = await call('spec', 'PUT', `/DocumentReference/${stored.id}`, { ...stored, context: { ...stored.context, sourcePatientInfo } });
      expect([put.status, refused(put)]).toEqual([422, true]);
    }
    const kept = await call('spec', 'PUT', `/DocumentReference/${stored.id}`, { ...stored, context: { ...stored.context, sourcePatientInfo: { reference: 'Patient/p1' } } });
    expect(kept.status).toBe(200);
  });
});

describe('a contained snapshot of another person under the record\'s INS is refused (identity vigilance)', () => {
  it('her birth date, sex or birth name: 422 naming the trait, not the record\'s value; nothing written', async () => {
    for (const [trait, traits] of [['birthDate', { birthDate: '1950-01-01' }], ['gender', { gender: 'male' }], ['birthName', { name: [{ use: 'official', family: 'DURAND', given: ['Paul'] }] }]] as const) {
      const before = await documentsOfP1();
      const s = submissionForP1();
      Object.assign(s.source, traits);
      const res = await call('feeder', 'POST', '', s.bundle);
      expect([trait, res.status, refused(res)]).toEqual([trait, 422, true]);
      expect(res.body.issue[0].diagnostics).toContain(trait);
      // The feeder reads no record: the answer names the trait, never the record's birth date or name.
      expect(res.text).not.toMatch(/2015-04-02|Martin/);
      expect(await documentsOfP1()).toBe(before);
    }
  });

  it('holds: a snapshot agreeing with the record (case and accents aside, a trait left out), and the other ways of naming p1', async () => {
    const agreeing = submissionForP1();
    Object.assign(agreeing.source, { name: [{ use: 'official', family: 'MARTIN', given: ['Test'] }], gender: 'female' });
    const a = await call('feeder', 'POST', '', agreeing.bundle);
    expect([a.status, a.status === 200 ? '' : JSON.stringify(a.body)]).toEqual([200, '']);
    const byIdentifier = submissionForP1();
    (byIdentifier.doc.context ??= {}).sourcePatientInfo = { identifier: { system: INS_NIR, value: P1_INS } };
    byIdentifier.list.extension = [...(byIdentifier.list.extension ?? []).filter((e) => e.url !== SOURCE_PATIENT_ID), { url: SOURCE_PATIENT_ID, valueIdentifier: { system: INS_NIR, value: P1_INS } }];
    const b = await call('feeder', 'POST', '', byIdentifier.bundle);
    expect([b.status, b.status === 200 ? '' : JSON.stringify(b.body)]).toEqual([200, '']);
    const literal = submissionForP1();
    (literal.doc.context ??= {}).sourcePatientInfo = { reference: 'Patient/p1' };
    const c = await call('feeder', 'POST', '', literal.bundle);
    expect([c.status, c.status === 200 ? '' : JSON.stringify(c.body)]).toEqual([200, '']);
  });
});
