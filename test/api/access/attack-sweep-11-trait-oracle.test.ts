import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BundleEntry, DocumentReference, Patient } from '@medplum/fhirtypes';
import { byRpps, consent, INS_NIR, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { shape, useSweepServer, type Answer } from './sweep-4';
import { cdaSubmission } from './cda-submission';

// Issue 11's outside check, eleventh sweep, family "identity and filing": the identity traits of a record (birth date,
// sex, birth name, first birth first name) are compared with a document's only for a sender whose filing is otherwise
// allowed (src/documents/README.md "Identity traits"; DESIGN §5 "hidden is absent"). What the sender gained from the gap:
// the comparison ran before the write was authorised, so a feeder that knew a patient's INS sent a CDA whose author the
// patient never authorised (nothing could be filed) and read the record's traits off the status: 403 (the author
// check) when the header agreed with the record, 422 (the comparison) when it did not — the exact birth date in about
// 31 tries by halving the range, the birth name and first name against a list. Likewise in front of a document id
// already taken (an MHD submission compared the traits before answering the 409 of a filed id, even to a feeder that
// does not know that document) and of a filed document sent again with other bytes.
// Expected: a refused filing reads the same whatever the traits say; an allowed one still gets the 422 naming the trait.

const { call } = useSweepServer('dmp-sweep11-trait-oracle-');
const labReport = readFileSync(path.join(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'), 'utf8');

/** The record's identity: what the attacker tries to learn. */
const TRAITS = { family: 'LEGRAND', given: 'CLAIRE ANNE', gender: 'F', birth: '19900615' };
type Traits = typeof TRAITS;
/** The header's traits with one of them wrong, by kind. */
const WRONG: [string, Partial<Traits>][] = [
  ['birthDate', { birth: '19900616' }],
  ['gender', { gender: 'M' }],
  ['birthName', { family: 'LEBLANC' }],
  ['firstName', { given: 'MARIE CLAIRE' }],
];
let n = 0;

/** The fixture lab report about the patient of `ins` with these traits, written by the professional `rpps`, a new document id. */
function report(ins: string, traits: Traits, rpps: string): string {
  n += 1;
  const xml = labReport
    .replace('<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>', `<id root="1.2.250.1.213.1.4.8" extension="${ins}"/>`)
    .replace('<given>DOMINIQUE MARIE-LOUISE</given>', `<given>${traits.given}</given>`)
    .replace('<given qualifier="BR">DOMINIQUE</given>', '')
    .replace('<family qualifier="BR">PAT-TROIS</family>', `<family qualifier="BR">${traits.family}</family>`)
    .replace('<administrativeGenderCode code="F"', `<administrativeGenderCode code="${traits.gender}"`)
    .replace('<birthTime value="19790328"/>', `<birthTime value="${traits.birth}"/>`)
    .replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.118.${n}"/>`)
    .split('extension="801234534765"').join(`extension="8${rpps}"`);
  if (!xml.includes(ins) || !xml.includes(traits.family) || !xml.includes(`1.2.250.1.999.1.1.118.${n}`)) throw new Error('fixture changed');
  return xml;
}

/** The PDSm ITI-65 fixture for the patient of `ins`, written by `rpps`, its document the CDA `xml`; `snapshot` goes in the SubmissionSet's source patient. */
const submission = cdaSubmission;
/** The same document published alone (ITI-105). */
function publication(ins: string, xml: string, rpps: string): DocumentReference {
  const doc = (submission(ins, xml, rpps).entry as BundleEntry[])[1].resource as DocumentReference;
  doc.content = [{ attachment: { contentType: 'text/xml', data: Buffer.from(xml).toString('base64') } }];
  return doc;
}

type Caller = Parameters<typeof call>[0];
type Channel = (ins: string, traits: Traits, rpps: string, who: Caller) => Promise<Answer>;
const CDA = { 'Content-Type': 'application/hl7-cda+xml' };
const CHANNELS: [string, Channel][] = [
  ['$import', (ins, traits, rpps, who) => call(who, 'POST', '/DocumentReference/$import', report(ins, traits, rpps), CDA)],
  ['ITI-65', (ins, traits, rpps, who) => call(who, 'POST', '', submission(ins, report(ins, traits, rpps), rpps))],
  ['ITI-105', (ins, traits, rpps, who) => call(who, 'POST', '/DocumentReference', publication(ins, report(ins, traits, rpps), rpps))],
];
/** What one answer tells the sender, document ids and instants aside. */
const told = (answer: Answer): string[] => shape(answer, '\u0000').map((s) => s.replace(/1\.2\.250\.1\.999\.1\.1\.118\.\d+/g, '<doc>'));
const BANK = { kind: 'system', id: 'bank', category: 'bank' } as const;

type RecordState = 'open' | 'never opened' | 'closed';
let records = 0;
/** A record opened online by its patient (official name, sex, birth date), the specialist authorised; or never opened, or closed by him. */
async function recordOf(state: RecordState = 'open'): Promise<{ ins: string; id: string; patient: Caller; documents: () => Promise<number> }> {
  records += 1;
  const ins = withInsKey(`29006751${String(records).padStart(2, '0')}001`);
  const patient = { kind: 'patient' as const, id: ins };
  const body = {
    resourceType: 'Patient', identifier: [{ system: INS_NIR, value: ins }],
    name: [{ use: 'official', family: 'LEGRAND', given: ['Claire', 'Anne'] }], gender: 'female', birthDate: '1990-06-15',
  };
  const created = await call(patient, 'POST', '/Patient', body);
  expect(created.status).toBe(201);
  const provisions = state === 'never opened' ? [] : [{ type: 'permit' }, { type: 'permit', actor: [byRpps(RPPS.spec)] }];
  for (const provision of provisions) {
    expect((await call(patient, 'POST', '/Consent', { ...consent('x', created.body.id, provision as never), id: undefined })).status).toBe(201);
  }
  const closing = { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'patient-request' }] };
  if (state === 'closed') expect((await call(patient, 'POST', `/Patient/${created.body.id}/$close`, closing)).status).toBe(200);
  const documents = async () => (await call(patient, 'GET', `/DocumentReference?patient=Patient/${created.body.id}&_summary=count`)).body.total as number;
  return { ins, id: created.body.id as string, patient, documents };
}

/** Filings refused whatever the header says: who sends, for which author, into which record. */
const REFUSED: [string, Caller, string, RecordState][] = [
  ['the feeder, for an author the patient never authorised', 'feeder', RPPS.author, 'open'],
  ['the feeder, for an author the patient blocked', 'feeder', RPPS.blocked, 'open'],
  ['the feeder, into a record never opened', 'feeder', RPPS.spec, 'never opened'],
  ['the feeder, into a record its patient closed', 'feeder', RPPS.spec, 'closed'],
  ['a professional not authorised in the record', 'unauth', '10000000077', 'open'],
  ['a system that may not file (a bank)', BANK, RPPS.spec, 'open'],
];

describe('a filing refused for its authorisation reads the same whatever the header\'s traits', () => {
  for (const [channel, send] of CHANNELS) {
    for (const [label, who, rpps, state] of REFUSED) {
      it(`${channel}: ${label} — identical answers for agreeing and each wrong trait, nothing written`, async () => {
        const record = await recordOf(state);
        const agreeing = await send(record.ins, TRAITS, rpps, who);
        expect([agreeing.status >= 400 && agreeing.status < 500, agreeing.body?.resourceType]).toEqual([true, 'OperationOutcome']);
        expect(agreeing.text).not.toMatch(/birthDate|gender|birthName|firstName/);
        for (const [trait, wrong] of WRONG) {
          const answer = await send(record.ins, { ...TRAITS, ...wrong }, rpps, who);
          expect([trait, ...told(answer)]).toEqual([trait, ...told(agreeing)]);
        }
        if (state !== 'closed') expect(await record.documents()).toBe(0);
      });
    }

    it(`${channel}: the feeder for an author the patient never authorised is refused by the author check (403)`, async () => {
      const record = await recordOf();
      const answer = await send(record.ins, { ...TRAITS, birth: '19900101' }, RPPS.author, 'feeder');
      expect([answer.status, answer.body?.issue?.[0]?.code]).toEqual([403, 'forbidden']);
    });

    it(`${channel}: an authorised author with a wrong trait still gets the 422 naming it (the document's value only), nothing written`, async () => {
      const record = await recordOf();
      for (const [trait, wrong] of WRONG) {
        const answer = await send(record.ins, { ...TRAITS, ...wrong }, RPPS.spec, 'feeder');
        expect([trait, answer.status, answer.body?.resourceType]).toEqual([trait, 422, 'OperationOutcome']);
        expect([trait, answer.body.issue.map((i: { diagnostics: string }) => i.diagnostics.split(': ')[1])]).toEqual([trait, [trait]]);
        expect(answer.text).not.toMatch(/1990-06-15|legrand|claire/i);
      }
      expect(await record.documents()).toBe(0);
      // The comparison can pass: the agreeing header is filed.
      const filed = await send(record.ins, TRAITS, RPPS.spec, 'feeder');
      expect([filed.status, filed.status < 300 ? '' : filed.text]).toEqual([channel === 'ITI-65' ? 200 : 201, '']);
      expect(await record.documents()).toBe(1);
    });
  }
});

describe('the SubmissionSet\'s source patient snapshot (ITI-65) is compared only once the filing is allowed', () => {
  const SNAPSHOTS: [string, Partial<Patient>][] = [
    ['agreeing', { birthDate: '1990-06-15', gender: 'female', name: [{ use: 'official', family: 'LEGRAND', given: ['Claire'] }] }],
    ['birthDate', { birthDate: '1990-06-16' }],
    ['gender', { gender: 'male' }],
    ['birthName', { name: [{ use: 'official', family: 'LEBLANC' }] }],
    ['firstName', { name: [{ use: 'official', family: 'LEGRAND', given: ['Marie'] }] }],
  ];

  it('an author the patient never authorised: identical answers; the authorised author gets the 422 naming the trait', async () => {
    const record = await recordOf();
    const answers = [];
    for (const [label, snapshot] of SNAPSHOTS) answers.push([label, await call('feeder', 'POST', '', submission(record.ins, report(record.ins, TRAITS, RPPS.author), RPPS.author, snapshot))] as const);
    expect(answers[0][1].status).toBe(403);
    for (const [label, answer] of answers) expect([label, ...told(answer)]).toEqual([label, ...told(answers[0][1])]);
    for (const [label, snapshot] of SNAPSHOTS.slice(1)) {
      const answer = await call('feeder', 'POST', '', submission(record.ins, report(record.ins, TRAITS, RPPS.spec), RPPS.spec, snapshot));
      expect([label, answer.status]).toEqual([label, 422]);
      expect(answer.text).toContain(label);
    }
    expect(await record.documents()).toBe(0);
  });
});

/** Each channel answers the header that agrees with 409 (the id is taken), and every wrong trait exactly the same. */
async function expectOne409WhateverTheTraits(channels: [string, (xml: string) => Promise<Answer>][], again: (traits: Traits) => string): Promise<void> {
  for (const [channel, send] of channels) {
    const agreeing = await send(again(TRAITS));
    expect([channel, agreeing.status]).toEqual([channel, 409]);
    for (const [trait, wrong] of WRONG) {
      const answer = await send(again({ ...TRAITS, ...wrong }));
      expect([channel, trait, ...told(answer)]).toEqual([channel, trait, ...told(agreeing)]);
    }
  }
}

describe('a document id already filed: other bytes are answered as such before the traits are compared', () => {
  it('$import and ITI-65 by the feeder that filed it, after the patient blocked its author: one 409 whatever the traits', async () => {
    const record = await recordOf();
    const first = report(record.ins, TRAITS, RPPS.spec);
    const id = (/1\.2\.250\.1\.999\.1\.1\.118\.\d+/.exec(first) as RegExpExecArray)[0];
    const filed = await call('feeder', 'POST', '', submission(record.ins, first, RPPS.spec));
    expect([filed.status, filed.status === 200 ? '' : filed.text]).toEqual([200, '']);
    const blocked = await call(record.patient, 'POST', '/Consent', { ...consent('x', record.id, { type: 'deny', actor: [byRpps(RPPS.spec)] } as never), id: undefined });
    expect(blocked.status).toBe(201);
    /** The same document id, other bytes. */
    const again = (traits: Traits) => report(record.ins, traits, RPPS.spec).replace(/1\.2\.250\.1\.999\.1\.1\.118\.\d+/, id).replace('</ClinicalDocument>', '<!-- v2 --></ClinicalDocument>');
    const channels: [string, (xml: string) => Promise<Answer>][] = [
      ['$import', (xml) => call('feeder', 'POST', '/DocumentReference/$import', xml, CDA)],
      ['ITI-65', (xml) => call('feeder', 'POST', '', submission(record.ins, xml, RPPS.spec))],
    ];
    await expectOne409WhateverTheTraits(channels, again);
    expect(await record.documents()).toBe(1);
  });

  it('ITI-65, ITI-105 and $import by a feeder that does not know the filed document (the specialist\'s $import): one 409 whatever the traits', async () => {
    const record = await recordOf();
    const first = report(record.ins, TRAITS, RPPS.spec);
    const id = (/1\.2\.250\.1\.999\.1\.1\.118\.\d+/.exec(first) as RegExpExecArray)[0];
    const filed = await call('spec', 'POST', '/DocumentReference/$import', first, CDA);
    expect([filed.status, filed.status === 201 ? '' : filed.text]).toEqual([201, '']);
    const again = (traits: Traits) => report(record.ins, traits, RPPS.author).replace(/1\.2\.250\.1\.999\.1\.1\.118\.\d+/, id);
    const channels: [string, (xml: string) => Promise<Answer>][] = [
      ['ITI-65', (xml) => call('feeder', 'POST', '', submission(record.ins, xml, RPPS.author))],
      ['ITI-105', (xml) => call('feeder', 'POST', '/DocumentReference', publication(record.ins, xml, RPPS.author))],
      ['$import', (xml) => call('feeder', 'POST', '/DocumentReference/$import', xml, CDA)],
    ];
    await expectOne409WhateverTheTraits(channels, again);
    expect(await record.documents()).toBe(1);
  });
});
