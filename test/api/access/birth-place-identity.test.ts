import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Patient } from '@medplum/fhirtypes';
import { cdaSubmission } from './cda-submission';
import { consent, RPPS, systemContext } from './fixture';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11, identity leftovers: the birth place (an INS trait, "lieu de naissance") was never compared when a document
// or a write named a patient whose record has one: a report about a person born elsewhere, with the record's INS,
// birth date and names, was filed in the record. The CDA gives it as birthplace/place/addr/county (the INSEE COG code,
// CI-SIS), FR Core as the patient-birthPlace extension whose address carries FR Core's INSEE code extension.
// Rule (src/documents/README.md "Patient", src/access/README.md "Identity"): the INSEE codes are compared when both
// sides carry one; a side without one says nothing; a mismatch is an identity refusal like the other traits (422 naming
// the trait with the document's value only), held until the filing is otherwise allowed (identity-verdict.ts).
// Fixtures written for it: fixtures/cda/lab-report-birthplace.xml (born in Reims, 51454) and
// fixtures/fhir/Patient-birthplace-insee.json (her record, FR Core spelling).

const { run, call } = useSweepServer('dmp-birth-place-');
const FIXTURES = path.join(__dirname, '../../../fixtures');
const RECORD = JSON.parse(readFileSync(path.join(FIXTURES, 'fhir/Patient-birthplace-insee.json'), 'utf8')) as Patient & { id: string };
const REPORT = readFileSync(path.join(FIXTURES, 'cda/lab-report-birthplace.xml'), 'utf8');
const INS = '280055145412349';
const BIRTHPLACE = '<birthplace><place><addr><county>51454</county><city>REIMS</city></addr></place></birthplace>';

let n = 0;
/** Her report with its birthplace element replaced by `birthplace` ('' for none), a fresh document id, signed by `rpps`. */
function report(birthplace: string, rpps = RPPS.gp): string {
  n += 1;
  const xml = REPORT.replace(BIRTHPLACE, birthplace)
    .replace('<id root="1.2.250.1.999.1.1.157.1"/>', `<id root="1.2.250.1.999.1.1.157.1.${n}"/>`)
    .split('extension="801234534765"').join(`extension="8${rpps}"`);
  if (!xml.includes(`1.2.250.1.999.1.1.157.1.${n}`) || (birthplace !== BIRTHPLACE && xml.includes('51454</county>'))) throw new Error('fixture changed');
  return xml;
}
const place = (county: string) => `<birthplace><place><addr><county>${county}</county><city>QUELQUE PART</city></addr></place></birthplace>`;
const importCda = (xml: string) => call('gp', 'POST', '/DocumentReference/$import', xml, { 'Content-Type': 'application/hl7-cda+xml' });
const documents = async (): Promise<number> => (await call('gp', 'GET', `/DocumentReference?patient=Patient/${RECORD.id}&_summary=count`)).body.total as number;
const said = (answer: Answer) => (answer.body?.issue ?? []).map((i: { diagnostics?: string }) => i.diagnostics ?? '').join(' | ');

beforeAll(async () => {
  // Her record, opened, with the fixture's gp as her treating physician (he files her reports).
  const ctx = systemContext();
  await run.server.service.repo.update(ctx, { ...RECORD, generalPractitioner: [{ reference: 'Practitioner/gp' }] } as Patient);
  await run.server.service.repo.update(ctx, consent('cb-open', RECORD.id, { type: 'permit' }));
});

describe('a CDA header\'s birth place against the record\'s (INSEE code, CDA county vs FR Core extension)', () => {
  it('the same INSEE code, spelt the CDA way and the FR Core way: filed (201)', async () => {
    const res = await importCda(report(BIRTHPLACE));
    expect([res.status, res.status === 201 ? '' : said(res)]).toEqual([201, '']);
  });

  it('another INSEE code: 422 naming the birth place with the document\'s value only, nothing filed', async () => {
    const before = await documents();
    const res = await importCda(report(place('51215')));
    expect([res.status, res.body?.resourceType]).toEqual([422, 'OperationOutcome']);
    expect(said(res)).toContain('birthPlace: document 51215');
    expect(said(res).split(INS).join('')).not.toContain('51454');
    expect(await documents()).toBe(before);
  });

  it('a Corsican code (2A004) is a code too: refused against Reims', async () => {
    const res = await importCda(report(place('2A004')));
    expect([res.status, said(res)]).toEqual([422, expect.stringContaining('birthPlace: document 2A004')]);
  });

  it('a header without a birth place, or one naming no code (a name), says nothing: filed', async () => {
    for (const xml of [report(''), report('<birthplace><place><addr><county>MARNE</county><city>REIMS</city></addr></place></birthplace>')]) {
      const res = await importCda(xml);
      expect([res.status, res.status === 201 ? '' : said(res)]).toEqual([201, '']);
    }
  });

  it('held until the filing is allowed: a feeder sending for an author she never authorised reads the same 403 whatever the birth place', async () => {
    const send = (birthplace: string) => call('feeder', 'POST', '', cdaSubmission(INS, report(birthplace, '10000000077'), '10000000077'));
    const [wrong, right] = [await send(place('51215')), await send(BIRTHPLACE)];
    const scrub = (a: Answer) => said(a).replace(/1\.2\.250\.1\.999\.1\.1\.157\.1\.\d+/g, '');
    expect([wrong.status, said(wrong).includes('birthPlace')]).toEqual([403, false]);
    expect([wrong.status, scrub(wrong)]).toEqual([right.status, scrub(right)]);
  });
});

describe('a source patient snapshot\'s birth place (FR Core extension) in an MHD submission', () => {
  const snapshot = (code: string): Partial<Patient> => ({
    extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city: 'Ailleurs', extension: [{ url: 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code', valueCoding: { code } }] } }],
  });

  it('a snapshot born elsewhere: 422 naming the birth place, nothing filed', async () => {
    const before = await documents();
    const res = await call('feeder', 'POST', '', cdaSubmission(INS, report(BIRTHPLACE), RPPS.gp, snapshot('51215')));
    expect([res.status, said(res)]).toEqual([422, expect.stringContaining('birthPlace')]);
    expect(await documents()).toBe(before);
  });

  it('control: a snapshot born in Reims is filed (200)', async () => {
    const res = await call('feeder', 'POST', '', cdaSubmission(INS, report(BIRTHPLACE), RPPS.gp, snapshot('51454')));
    expect([res.status, res.status === 200 ? '' : said(res)]).toEqual([200, '']);
  });
});
