import request from 'supertest';
import type { TestApp } from '../../support/test-app';
import { createDocumentsApp, createPatient, fixture, importCda, MARCHAL_INS } from './documents-app';

/**
 * A document is filed only in the record its identity agrees with (issue 13, item 1; ANS INS / RNIV identity
 * vigilance). Fictitious people, test INS (`urn:oid:1.2.250.1.213.1.4.10`, key = 97 − first 13 digits mod 97).
 * Hélène MARCHAL (fixtures/cda/cr-bio-thyroid-panel.xml): INS 286063306312356, IPP 1.2.250.1.999.3|IPP-7731,
 * female, born 1986-06-14, birth name MARCHAL.
 */
const MARCHAL_IPP = { system: 'urn:oid:1.2.250.1.999.3', value: 'IPP-7731' };
/** Élodie LEFÈVRE-LE GALL, female, born 1977-05-02: a second record. */
const LEFEVRE_INS = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '277057511104225' };
/** A valid test INS that no record carries (a woman born in 1977). */
const UNKNOWN_INS = '277059935001294';

const MARCHAL_INS_ID = '<id root="1.2.250.1.213.1.4.10" extension="286063306312356"/>';

let documentCount = 0;

/** Hélène MARCHAL's thyroid panel with edits to its recordTarget and a document id of its own. */
function thyroidPanelWith(edits: [string, string][]): Buffer {
  documentCount += 1;
  let xml = fixture('cda/cr-bio-thyroid-panel.xml').toString('utf8')
    .replace('<id root="1.2.250.1.999.1.1.8.1"/>', `<id root="1.2.250.1.999.1.1.8.${100 + documentCount}"/>`);
  for (const [from, to] of edits) {
    if (!xml.includes(from)) throw new Error(`fixture has no ${from}`);
    xml = xml.replace(from, to);
  }
  return Buffer.from(xml);
}

/** The diagnostics of an OperationOutcome response. */
function diagnostics(res: request.Response): string {
  return (res.body.issue ?? []).map((i: { diagnostics?: string }) => i.diagnostics).join('; ');
}

describe('a document is filed only in the record its identity agrees with', () => {
  let app: TestApp;
  let marchal: string;
  let lefevre: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    marchal = await createPatient(app, [MARCHAL_INS, MARCHAL_IPP], {
      name: [{ use: 'official', family: 'MARCHAL', given: ['Hélène'] }], gender: 'female', birthDate: '1986-06-14',
    });
    lefevre = await createPatient(app, [LEFEVRE_INS], {
      name: [{ use: 'official', family: 'Lefèvre-Le Gall', given: ['Élodie'] }, { use: 'usual', family: 'Morin' }], gender: 'female', birthDate: '1977-05-02',
    });
  });
  afterAll(() => app.close());

  /** Number of DocumentReferences in a record (or in all records). */
  async function documentsOf(patient?: string): Promise<number> {
    const res = await request(app.app).get(`/fhir/DocumentReference?${patient ? `subject=Patient/${patient}&` : ''}_summary=count`);
    expect(res.status).toBe(200);
    return res.body.total as number;
  }

  /** The subject of the DocumentReference of a 201 transaction-response. */
  function subjectOf(res: request.Response): string | undefined {
    const dr = (res.body.entry ?? []).map((e: { resource?: { resourceType: string; subject?: { reference?: string } } }) => e.resource)
      .find((r: { resourceType: string } | undefined) => r?.resourceType === 'DocumentReference');
    return dr?.subject?.reference;
  }

  it('refuses a document whose INS no record carries even though its local id is another patient\'s, and writes nothing', async () => {
    const before = await documentsOf();
    const attack = thyroidPanelWith([
      ['extension="286063306312356"', `extension="${UNKNOWN_INS}"`],
      ['<family qualifier="BR">MARCHAL</family>', '<family qualifier="BR">DUVAL</family>'],
      ['<birthTime value="19860614"/>', '<birthTime value="19770502"/>'],
    ]);
    const res = await importCda(app, attack);
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toMatch(/no record for this INS/i);
    expect(diagnostics(res)).toContain(`urn:oid:1.2.250.1.213.1.4.10|${UNKNOWN_INS}`);
    expect(await documentsOf(marchal)).toBe(0);
    expect(await documentsOf(lefevre)).toBe(0);
    expect(await documentsOf()).toBe(before);
  });

  it('files a document without INS by a local id the record carries under the same system when its traits agree', async () => {
    const res = await importCda(app, thyroidPanelWith([[MARCHAL_INS_ID, '']]));
    expect(res.status).toBe(201);
    expect(subjectOf(res)).toBe(`Patient/${marchal}`);
  });

  it('does not match a local id of the same value under another assigning authority', async () => {
    const res = await importCda(app, thyroidPanelWith([[MARCHAL_INS_ID, ''], ['root="1.2.250.1.999.3" extension="IPP-7731"', 'root="1.2.250.1.999.4" extension="IPP-7731"']]));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('urn:oid:1.2.250.1.999.4|IPP-7731');
  });

  it('refuses a document matched by its local id whose birth date disagrees with the record', async () => {
    const before = await documentsOf(marchal);
    const res = await importCda(app, thyroidPanelWith([[MARCHAL_INS_ID, ''], ['<birthTime value="19860614"/>', '<birthTime value="19770502"/>']]));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('birthDate: document 1977-05-02, not the record\'s');
    expect(await documentsOf(marchal)).toBe(before);
  });

  it('refuses a document matched by its INS whose birth date disagrees with the record, naming birthDate, and writes nothing', async () => {
    const before = await documentsOf();
    const res = await importCda(app, thyroidPanelWith([['<birthTime value="19860614"/>', '<birthTime value="19790321"/>']]));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('birthDate: document 1979-03-21, not the record\'s');
    expect(diagnostics(res)).not.toMatch(/gender|birthName/);
    expect(await documentsOf()).toBe(before);
  });

  // A birthTime that is no CDA date was left out of the traits, and a trait missing is no conflict: a document of
  // someone born on another day, matched by a local id, was filed in this record.
  it.each(['1977-05-02', '19770230', '02/05/1977'])('refuses a document whose birthTime "%s" is not a date, naming it, and writes nothing', async (birthTime) => {
    const before = await documentsOf();
    const res = await importCda(app, thyroidPanelWith([[MARCHAL_INS_ID, ''], ['<birthTime value="19860614"/>', `<birthTime value="${birthTime}"/>`]]));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain(`birthTime "${birthTime}"`);
    expect(await documentsOf()).toBe(before);
  });

  it('refuses a document matched by its INS whose administrative sex disagrees with the record', async () => {
    const res = await importCda(app, thyroidPanelWith([['<administrativeGenderCode code="F"', '<administrativeGenderCode code="M"']]));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('gender: document male, not the record\'s');
  });

  it('refuses a document matched by its INS whose birth name disagrees with the record', async () => {
    const res = await importCda(app, thyroidPanelWith([['<family qualifier="BR">MARCHAL</family>', '<family qualifier="BR">MARCHAND</family>']]));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('birthName: document MARCHAND, not the record\'s');
  });

  it('lists every conflicting trait', async () => {
    const res = await importCda(app, thyroidPanelWith([
      ['<family qualifier="BR">MARCHAL</family>', '<family qualifier="BR">DUVAL</family>'],
      ['<birthTime value="19860614"/>', '<birthTime value="19770502"/>'],
      ['<administrativeGenderCode code="F"', '<administrativeGenderCode code="M"'],
    ]));
    expect(res.status).toBe(422);
    expect(res.body.issue.map((i: { diagnostics: string }) => i.diagnostics.replace(/^.*?: (?=\w+: document)/, ''))).toEqual([
      'birthDate: document 1977-05-02, not the record\'s',
      'gender: document male, not the record\'s',
      'birthName: document DUVAL, not the record\'s',
    ]);
  });

  it('takes differences of case, accents, spaces and hyphens in the birth name for agreement, and compares the birth name, not the used one', async () => {
    const res = await importCda(app, thyroidPanelWith([
      ['extension="286063306312356"', `extension="${LEFEVRE_INS.value}"`],
      ['<family qualifier="BR">MARCHAL</family>', '<family qualifier="BR">LEFEVRE LE GALL</family><family qualifier="CL">DURAND</family>'],
      ['<birthTime value="19860614"/>', '<birthTime value="19770502"/>'],
      // Her first name too (an INS trait, compared since attack sweep 11), without its accent.
      ['<given>HÉLÈNE CLAIRE</given>', '<given>ELODIE</given>'],
      ['<given qualifier="BR">HÉLÈNE</given>', ''],
    ]));
    expect(res.status).toBe(201);
    expect(subjectOf(res)).toBe(`Patient/${lefevre}`);
  });

  it('takes a trait missing on either side for no disagreement', async () => {
    const res = await importCda(app, thyroidPanelWith([['<birthTime value="19860614"/>', ''], ['<administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>', '']]));
    expect(res.status).toBe(201);
    expect(subjectOf(res)).toBe(`Patient/${marchal}`);
  });
});
