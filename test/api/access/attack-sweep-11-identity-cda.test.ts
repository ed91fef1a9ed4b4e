import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, BundleEntry, DocumentReference } from '@medplum/fhirtypes';
import { byRpps, consent, INS_NIR, P1_INS, P2_INS, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { shape, useSweepServer, type Answer } from './sweep-4';
import { cdaSubmission } from './cda-submission';

// Issue 11's outside check, eleventh sweep, family "identity and filing": a CDA is filed only in the record of the one
// patient its header names (src/documents/README.md "Patient"; DESIGN §5 "Identity"), by every channel ($import, ITI-65,
// ITI-105). Expected answers come from those rules. What the sender gained from the gaps:
// - a header carrying two different INS (the patient's, unknown here, and another's) was filed in the record of the
//   second: the first INS with no record was skipped, whatever person the report is about;
// - a header the CDA reader refuses for another reason than the INS (two recordTargets, a birthTime that is no date)
//   was taken, in an MHD submission, for a header naming nobody: the document was kept unmapped and filed in the
//   subject's record without its patient being compared — another person's report in this record;
// - twins share a birth name, a birth date and a sex: a record opened for one of them under the other's INS received
//   the other's reports, the first name (an INS trait) never compared.

const { call } = useSweepServer('dmp-sweep11-identity-cda-');
const refused = (answer: Answer): boolean => answer.status === 422 && answer.body?.resourceType === 'OperationOutcome';
/** A person who has no record here (her INS is unknown to the server). */
const STRANGER = withInsKey('2790375123411');
let n = 0;

/** The fixture lab report made the patient's of `ins` (under the NIR OID), with the given birth name and date, by the specialist (or `rpps`). */
function labReport(ins: string, family: string, birth: string, rpps = RPPS.spec): string {
  n += 1;
  const xml = readFileSync(path.join(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'), 'utf8')
    .replace('<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>', `<id root="1.2.250.1.213.1.4.8" extension="${ins}"/>`)
    .replace('<family qualifier="BR">PAT-TROIS</family>', `<family qualifier="BR">${family}</family>`)
    .replace('<birthTime value="19790328"/>', `<birthTime value="${birth}"/>`)
    .replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.111.${n}"/>`)
    .split('extension="801234534765"').join(`extension="8${rpps}"`);
  if (!xml.includes(ins) || !xml.includes(`1.2.250.1.999.1.1.111.${n}`)) throw new Error('fixture changed');
  return xml;
}
const p1Report = () => labReport(P1_INS, 'MARTIN', '20150402');
const p2Report = () => labReport(P2_INS, 'Durand', '19800101');
/** The stranger's report whose header also carries p1's INS, after hers. */
const strangerReportNamingP1 = () => labReport(STRANGER, 'MARTIN', '20150402')
  .replace(`<id root="1.2.250.1.213.1.4.8" extension="${STRANGER}"/>`, `<id root="1.2.250.1.213.1.4.8" extension="${STRANGER}"/><id root="1.2.250.1.213.1.4.8" extension="${P1_INS}"/>`);

/** The PDSm ITI-65 fixture for p1, written by the specialist p1 authorised, its document the CDA `xml` (text/xml). */
const submissionForP1 = (xml: string): Bundle => cdaSubmission(P1_INS, xml, RPPS.spec);
/** The same document published alone (ITI-105) in p1's record. */
function publicationForP1(xml: string): DocumentReference {
  const doc = (submissionForP1(xml).entry as BundleEntry[])[1].resource as DocumentReference;
  doc.subject = { reference: `Patient?identifier=${INS_NIR}|${P1_INS}` };
  doc.content = [{ attachment: { contentType: 'text/xml', data: Buffer.from(xml).toString('base64') } }];
  return doc;
}
const documentsOfP1 = async (): Promise<number> => (await call('patient', 'GET', '/DocumentReference?patient=Patient/p1&_summary=count')).body.total as number;
const importCda = (xml: string) => call('gp', 'POST', '/DocumentReference/$import', xml, { 'Content-Type': 'application/hl7-cda+xml' });

describe('a CDA header carrying two different INS names two people: refused by every channel', () => {
  it('$import: 422 naming both INS, nothing written in p1', async () => {
    const before = await documentsOfP1();
    const res = await importCda(strangerReportNamingP1());
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect(res.body.issue[0].diagnostics).toContain(STRANGER);
    expect(await documentsOfP1()).toBe(before);
  });

  it('ITI-65 and ITI-105 in p1\'s record: 422, nothing written', async () => {
    const before = await documentsOfP1();
    const submitted = await call('feeder', 'POST', '', submissionForP1(strangerReportNamingP1()));
    expect([submitted.status, refused(submitted)]).toEqual([422, true]);
    const published = await call('feeder', 'POST', '/DocumentReference', publicationForP1(strangerReportNamingP1()));
    expect([published.status, refused(published)]).toEqual([422, true]);
    expect(await documentsOfP1()).toBe(before);
  });

  it('holds: p1\'s report carrying her INS under the NIR and the test NIR OIDs (one INS) is filed in her record', async () => {
    const xml = p1Report().replace(`<id root="1.2.250.1.213.1.4.8" extension="${P1_INS}"/>`, `<id root="1.2.250.1.213.1.4.8" extension="${P1_INS}"/><id root="1.2.250.1.213.1.4.10" extension="${P1_INS}"/>`);
    const res = await importCda(xml);
    expect([res.status, res.status === 201 ? '' : JSON.stringify(res.body)]).toEqual([201, '']);
  });
});

describe('an MHD submission whose CDA header cannot be read is refused, not filed unchecked', () => {
  const recordTarget = (xml: string) => (/<recordTarget>[\s\S]*?<\/recordTarget>/.exec(xml) as RegExpExecArray)[0];
  const unreadable: [string, () => string][] = [
    ['two recordTargets (p2 twice)', () => { const xml = p2Report(); return xml.replace(recordTarget(xml), recordTarget(xml).repeat(2)); }],
    ['p2 and p1 as recordTargets', () => { const xml = p2Report(); return xml.replace(recordTarget(xml), recordTarget(xml) + recordTarget(p1Report())); }],
    ['a birthTime that is no date', () => p2Report().replace('<birthTime value="19800101"/>', '<birthTime value="19800230"/>')],
  ];
  for (const [label, xml] of unreadable) {
    it(`p2's report with ${label}, in p1's ITI-65 submission and ITI-105 publication: 422, nothing written`, async () => {
      const before = await documentsOfP1();
      const submitted = await call('feeder', 'POST', '', submissionForP1(xml()));
      expect([label, submitted.status, refused(submitted)]).toEqual([label, 422, true]);
      const published = await call('feeder', 'POST', '/DocumentReference', publicationForP1(xml()));
      expect([label, published.status, refused(published)]).toEqual([label, 422, true]);
      expect(await documentsOfP1()).toBe(before);
    });
  }

  it('holds: p1\'s own report goes in by ITI-65 and ITI-105 (the comparison can fail)', async () => {
    const before = await documentsOfP1();
    const submitted = await call('feeder', 'POST', '', submissionForP1(p1Report()));
    expect([submitted.status, submitted.status === 200 ? '' : JSON.stringify(submitted.body)]).toEqual([200, '']);
    const published = await call('feeder', 'POST', '/DocumentReference', publicationForP1(p1Report()));
    expect([published.status, published.status === 201 ? '' : JSON.stringify(published.body)]).toEqual([201, '']);
    expect(await documentsOfP1()).toBe(before + 2);
  });
});

describe('the first name is an identity trait: twins are two people', () => {
  it('a report about Pierre MARTIN under the INS of the record of his twin Paul: 422 naming the first name, nothing written', async () => {
    const ins = withInsKey('1150475123412');
    const paul = { kind: 'patient' as const, id: ins };
    const opened = await call(paul, 'POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: ins }], name: [{ use: 'official', family: 'MARTIN', given: ['Paul', 'Henri'] }], gender: 'male', birthDate: '2015-04-02' });
    expect(opened.status).toBe(201);
    for (const provision of [{ type: 'permit' }, { type: 'permit', actor: [byRpps(RPPS.spec)] }]) {
      expect((await call(paul, 'POST', '/Consent', { ...consent('x', opened.body.id, provision as never), id: undefined })).status).toBe(201);
    }
    const reportAbout = (given: string) => labReport(ins, 'MARTIN', '20150402')
      .replace('<given>DOMINIQUE MARIE-LOUISE</given>', `<given>${given}</given>`)
      .replace('<given qualifier="BR">DOMINIQUE</given>', '')
      .replace('<administrativeGenderCode code="F"', '<administrativeGenderCode code="M"');
    const documents = async () => (await call(paul, 'GET', `/DocumentReference?patient=Patient/${opened.body.id}&_summary=count`)).body.total as number;
    const res = await call('spec', 'POST', '/DocumentReference/$import', reportAbout('PIERRE JEAN'), { 'Content-Type': 'application/hl7-cda+xml' });
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect(res.body.issue.map((i: { diagnostics: string }) => i.diagnostics.split(': ')[1])).toEqual(['firstName']);
    expect(await documents()).toBe(0);
    // The comparison can fail: Paul's own report (his first names, case and accents aside) is filed.
    const own = await call('spec', 'POST', '/DocumentReference/$import', reportAbout('PAUL HENRI'), { 'Content-Type': 'application/hl7-cda+xml' });
    expect([own.status, own.status === 201 ? '' : JSON.stringify(own.body)]).toEqual([201, '']);
    expect(await documents()).toBe(1);
  });
});

describe('a refused header tells the sender which trait disagrees, never the record\'s value', () => {
  it('the feeder (which reads no record) learns neither p1\'s birth date nor her birth name, by $import or ITI-65', async () => {
    const wrong = () => p1Report().replace('<family qualifier="BR">MARTIN</family>', '<family qualifier="BR">ZORRO</family>').replace('<birthTime value="20150402"/>', '<birthTime value="19990101"/>');
    const imported = await call('feeder', 'POST', '/DocumentReference/$import', wrong(), { 'Content-Type': 'application/hl7-cda+xml' });
    const submitted = await call('feeder', 'POST', '', submissionForP1(wrong()));
    for (const res of [imported, submitted]) {
      expect([res.status, refused(res)]).toEqual([422, true]);
      expect(res.text).toMatch(/birthDate: document 1999-01-01/);
      expect(res.text).toMatch(/birthName: document ZORRO/);
      expect(res.text).not.toMatch(/2015-04-02|martin/i);
    }
  });
});

describe('a header or source patient naming another INS is told only to a sender whose filing is allowed', () => {
  // Issue 11 "hidden means absent": the header's patient was compared with the subject's record before the filing's
  // writes were judged, so a sender that may not file in p1 (its author never authorised, or a professional p1 never
  // authorised) told from the answer whether an INS is p1's (403, the author check) or not (422), and whether it is
  // another record's or nobody's (two 422 texts). Rule: refused for its authorisation, a filing reads the same whatever
  // INS it carries; an allowed one still gets the 422.
  /** The same header with p1's INS, p2's (another record: her traits too) and the stranger's (no record). */
  const HEADERS: [string, (rpps: string) => string][] = [
    ['p1\'s INS', (rpps) => labReport(P1_INS, 'MARTIN', '20150402', rpps)],
    ['another record\'s INS', (rpps) => labReport(P2_INS, 'Durand', '19800101', rpps)],
    ['an INS no record carries', (rpps) => labReport(STRANGER, 'MARTIN', '20150402', rpps)],
  ];
  type Caller = Parameters<typeof call>[0];
  const CHANNELS: [string, (xml: string, rpps: string, who: Caller) => Promise<Answer>][] = [
    ['ITI-65', (xml, rpps, who) => call(who, 'POST', '', cdaSubmission(P1_INS, xml, rpps))],
    ['ITI-105', (xml, rpps, who) => {
      const doc = (cdaSubmission(P1_INS, xml, rpps).entry as BundleEntry[])[1].resource as DocumentReference;
      doc.content = [{ attachment: { contentType: 'text/xml', data: Buffer.from(xml).toString('base64') } }];
      return call(who, 'POST', '/DocumentReference', doc);
    }],
  ];
  /** What an answer tells the sender, document ids, instants and the INS he sent (echoed back to him) aside. */
  const told = (answer: Answer): string[] => shape(answer, '\u0000').map((x) => x.replace(/1\.2\.250\.1\.999\.1\.1\.111\.\d+/g, '<doc>').split(P2_INS).join(P1_INS).split(STRANGER).join(P1_INS));
  /** Who may not file in p1, and the status every header gets (the professional does not see p1: it names no record for him). */
  const REFUSED: [string, Caller, string, number][] = [
    ['the feeder, for an author p1 never authorised', 'feeder', RPPS.author, 403],
    ['a professional p1 never authorised', 'unauth', '10000000077', 422],
  ];

  for (const [channel, send] of CHANNELS) {
    for (const [label, who, rpps, status] of REFUSED) {
      it(`${channel}: ${label} — one answer whatever INS the header carries, nothing written`, async () => {
        const before = await documentsOfP1();
        const answers = [];
        for (const [header, xml] of HEADERS) answers.push([header, await send(xml(rpps), rpps, who)] as const);
        expect(answers[0][1].status).toBe(status);
        for (const [header, answer] of answers) expect([header, ...told(answer)]).toEqual([header, ...told(answers[0][1])]);
        expect(await documentsOfP1()).toBe(before);
      });
    }

    it(`${channel}: the feeder for the author p1 authorised still gets 422 for another record's INS and for an unknown one, nothing written`, async () => {
      const before = await documentsOfP1();
      for (const [header, xml] of HEADERS.slice(1)) {
        const answer = await send(xml(RPPS.spec), RPPS.spec, 'feeder');
        expect([header, answer.status, refused(answer)]).toEqual([header, 422, true]);
        expect(answer.text).toMatch(/is not the DocumentReference subject/);
        expect(answer.text).not.toMatch(/Patient\/p2\b/);
      }
      expect(await documentsOfP1()).toBe(before);
    });
  }

  it('ITI-65: the SubmissionSet\'s source patient carrying another INS — one answer to the refused sender, 422 to the allowed one', async () => {
    const before = await documentsOfP1();
    const SOURCES: [string, string][] = [['p1\'s INS', P1_INS], ['another record\'s INS', P2_INS], ['an INS no record carries', STRANGER]];
    const sent = (ins: string, rpps: string) => cdaSubmission(P1_INS, labReport(P1_INS, 'MARTIN', '20150402', rpps), rpps, { identifier: [{ system: INS_NIR, value: ins }] });
    const answers = [];
    for (const [label, ins] of SOURCES) answers.push([label, await call('feeder', 'POST', '', sent(ins, RPPS.author))] as const);
    expect(answers[0][1].status).toBe(403);
    for (const [label, answer] of answers) expect([label, ...told(answer)]).toEqual([label, ...told(answers[0][1])]);
    for (const [label, ins] of SOURCES.slice(1)) {
      const answer = await call('feeder', 'POST', '', sent(ins, RPPS.spec));
      expect([label, answer.status, refused(answer)]).toEqual([label, 422, true]);
    }
    expect(await documentsOfP1()).toBe(before);
  });
});
