import request from 'supertest';
import type { DocumentReference } from '@medplum/fhirtypes';
import type { TestApp } from '../../support/test-app';
import { createDocumentsApp, createMarchalPatient, fixture, importCda, MARCHAL_INS } from './documents-app';

/**
 * A patient who wrote his own document is its Patient author (issue 13 item 8), never a Practitioner carrying his
 * patient identifier. fixtures/cda/cr-bio-thyroid-panel.xml with its author (Dr Sophie LEGRAND, IdNat_PS 810100234565)
 * replaced by Hélène MARCHAL herself, identified by her recordTarget INS 1.2.250.1.213.1.4.10|286063306312356.
 */
const PATIENT_AUTHOR = `<assignedAuthor>
      <id root="1.2.250.1.213.1.4.10" extension="286063306312356"/>
      <assignedPerson><name><given>Hélène</given><family>MARCHAL</family></name></assignedPerson>
    </assignedAuthor>`;

function writtenByThePatient(): Buffer {
  const xml = fixture('cda/cr-bio-thyroid-panel.xml').toString('utf8').replace('<id root="1.2.250.1.999.1.1.8.1"/>', '<id root="1.2.250.1.999.1.1.8.501"/>');
  const start = xml.indexOf('<assignedAuthor>');
  const end = xml.indexOf('</assignedAuthor>') + '</assignedAuthor>'.length;
  if (start < 0 || end < start) throw new Error('fixture has no assignedAuthor');
  return Buffer.from(xml.slice(0, start) + PATIENT_AUTHOR + xml.slice(end));
}

describe('a document the patient wrote names the Patient as its author', () => {
  let app: TestApp;
  let marchal: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    marchal = await createMarchalPatient(app);
  });
  afterAll(() => app.close());

  it('references Patient/<her record> as author, and creates no Practitioner carrying her INS', async () => {
    const res = await importCda(app, writtenByThePatient());
    expect(res.status).toBe(201);
    const doc = (await request(app.app).get(`/fhir/${res.headers.location.split('/_history/')[0].split('/fhir/')[1]}`)).body as DocumentReference;
    expect(doc.author).toEqual([{ reference: `Patient/${marchal}` }]);
    const practitioners = await request(app.app).get('/fhir/Practitioner').query({ identifier: `${MARCHAL_INS.system}|${MARCHAL_INS.value}` });
    expect(practitioners.body.entry ?? []).toHaveLength(0);
    // The legal authenticator (Dr LEGRAND, kept) is the only PractitionerRole: none was made of the patient author.
    expect((doc.contained ?? []).filter((c) => c.resourceType === 'PractitionerRole').map((c) => c.id)).toEqual(['authenticator']);
  });
});
