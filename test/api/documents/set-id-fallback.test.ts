import request from 'supertest';
import type { DocumentReference } from '@medplum/fhirtypes';
import type { TestApp } from '../../support/test-app';
import { bundleResources, createDocumentsApp, fixture, importCda, createFrenchTestPatient } from './documents-app';

const docOf = (body: never) => bundleResources(body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;

describe('replacement found through the CDA set id when the RPLC parent id is unknown', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createDocumentsApp();
    await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  it('supersedes the current lower version of the same set and patient', async () => {
    const v1 = docOf((await importCda(app, fixture('cda/lab-report-two-results.xml'))).body as never);
    const v2bytes = Buffer.from(fixture('cda/lab-report-two-results-v2.xml').toString('utf8').replace('<parentDocument><id root="1.2.250.1.999.1.1.7.1"/>', '<parentDocument><id root="1.2.250.1.999.1.1.7.77"/>'));
    const res = await importCda(app, v2bytes);
    expect(res.status).toBe(201);
    expect(docOf(res.body as never).relatesTo?.[0].target.reference).toBe(`DocumentReference/${v1.id}`);
    const old = await request(app.app).get(`/fhir/DocumentReference/${v1.id}`);
    expect(old.body.status).toBe('superseded');
  });

  it('refuses a replacement whose parent neither the parent id nor the set finds (422 naming the parent), writing nothing', async () => {
    const orphan = Buffer.from(
      fixture('cda/lab-report-two-results-v2.xml')
        .toString('utf8')
        .replace('<id root="1.2.250.1.999.1.1.7.2"/>', '<id root="1.2.250.1.999.1.1.8.2"/>')
        .replace(/<setId root="1\.2\.250\.1\.999\.1\.1\.7"\/>/g, '<setId root="1.2.250.1.999.1.1.8"/>')
        .replace('<parentDocument><id root="1.2.250.1.999.1.1.7.1"/>', '<parentDocument><id root="1.2.250.1.999.1.1.8.1"/>'),
    );
    const res = await importCda(app, orphan);
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toContain('urn:oid:1.2.250.1.999.1.1.8.1');
    const found = await request(app.app).get('/fhir/DocumentReference?identifier=urn:oid:1.2.250.1.999.1.1.8.2');
    expect(found.body.total ?? found.body.entry?.length ?? 0).toBe(0);
    const again = await importCda(app, orphan);
    expect(again.status).toBe(422); // nothing claimed the document id either
  });
});
