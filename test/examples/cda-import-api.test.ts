import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import type { Bundle, DocumentReference, Resource } from '@medplum/fhirtypes';
import { planCdaImport, type CdaImportPlan } from '../../src/cda';
import { summarizePlan } from '../unit/cda/summarize-plan';
import type { TestApp } from '../support/test-app';
import { binaryBytes, bundleResources, createDocumentsApp, createPatient, importCda, createFrenchTestPatient, traitsOfDocument } from '../api/documents/documents-app';
import { listPublicExamples, parentOf, publicExamplesPresent } from './public-examples';

const examples = listPublicExamples();

/**
 * The summary of the pure mapping of the example (whose facts test/examples/cda-mapping.test.ts checks against what a
 * reader of the XML wrote): what the server stores must be that plan, once the server resolved its references.
 */
function expectedSummary(path: string): Record<string, unknown> & { patientIdentifiers: { system: string; value: string }[] } {
  return summarizePlan(planCdaImport(readFileSync(path))) as Record<string, unknown> & { patientIdentifiers: { system: string; value: string }[] };
}

/** Rebuilds a plan-like object from what the server stored, with each Binary's bytes fetched over ITI-68. */
async function storedPlan(app: TestApp, body: Bundle, expected: ReturnType<typeof expectedSummary>): Promise<CdaImportPlan> {
  const resources: Resource[] = [];
  for (const r of bundleResources(body)) {
    if (r.resourceType === 'Patient') continue;
    if (r.resourceType === 'Binary') {
      const { bytes } = await binaryBytes(app, `Binary/${r.id}`);
      resources.push({ ...(r as Resource), data: bytes.toString('base64') } as Resource);
    } else resources.push(r as Resource);
  }
  const { documentId, patientIdentifiers, size, sha1 } = expected as unknown as CdaImportPlan;
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry: resources.map((resource) => ({ resource })) }, documentId, patientIdentifiers, patientTraits: { resourceType: 'Patient' }, size, sha1, documentBinaryUrl: '', warnings: [], unmapped: [] };
}


describe('the public CDA examples imported through POST /fhir/DocumentReference/$import', () => {
  if (!publicExamplesPresent('the import of the public examples')) return;
  let app: TestApp;
  beforeAll(async () => {
    app = await createDocumentsApp();
    await createFrenchTestPatient(app);
    // US C-CDA documents find their patient by a recordTarget identifier an existing Patient carries.
    for (const { dir, path } of examples) if (dir === 'us') await createPatient(app, expectedSummary(path).patientIdentifiers.slice(0, 1), traitsOfDocument(readFileSync(path)));
  });
  afterAll(() => app.close());

  it('finds the shared examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(13);
  });

  describe.each(examples)('$dir/$file', ({ dir, path }) => {
    const bytes = readFileSync(path);
    let first: request.Response;

    it('imports with 201 and stores what the mapping planned', async () => {
      const parent = parentOf(bytes);
      if (parent) {
        // Without its parent, a replacement is refused naming it; with it, the parent is superseded.
        const orphan = await importCda(app, bytes, 'application/xml');
        expect([orphan.status, orphan.body.issue?.[0]?.diagnostics]).toEqual([422, expect.stringContaining('which does not exist in this record')]);
        expect((await importCda(app, parent, 'application/xml')).status).toBe(201);
      }
      first = await importCda(app, bytes, dir === 'fr' ? 'text/xml' : 'application/hl7-cda+xml');
      expect(first.status).toBe(201);
      expect(first.body.type).toBe('transaction-response');
      const expected = expectedSummary(path);
      const actual = summarizePlan(await storedPlan(app, first.body, expected)) as Record<string, Record<string, unknown>>;
      const patient = bundleResources(first.body).find((r) => r.resourceType === 'Patient');
      const dr = bundleResources(first.body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;
      expect(dr.subject?.reference).toMatch(/^Patient\/[0-9a-f-]+$/);
      if (patient) expect(dr.subject?.reference).toBe(`Patient/${patient.id}`);
      const expectedDr = expected.documentReference as Record<string, unknown>;
      // The server resolves the conditional patient and replaced-document references the plan carries.
      const { subject: _s1, relatesTo: expectedRelates, ...expectedRest } = expectedDr;
      const { subject: _s2, relatesTo: actualRelates, ...actualRest } = actual.documentReference;
      void _s1;
      void _s2;
      expect(actualRest).toEqual(expectedRest);
      expect((actualRelates as string[] | undefined)?.length ?? 0).toBe((expectedRelates as string[] | undefined)?.length ?? 0);
      // An organisation already known keeps the name it was first created with (conditional create, never duplicated).
      const orgIds = (list: unknown) => (list as string[]).map((o) => o.split(' ')[0]);
      expect(orgIds(actual.organizations)).toEqual(orgIds(expected.organizations));
      expect({ ...actual, documentReference: undefined, organizations: undefined }).toEqual({ ...expected, documentReference: undefined, organizations: undefined });
    });

    it('answers a re-sent document with 200 and the same resources, without duplicates', async () => {
      const again = await importCda(app, bytes, 'application/xml');
      expect(again.status).toBe(200);
      const ids = (b: Bundle) => bundleResources(b).map((r) => `${r.resourceType}/${r.id}`).sort();
      expect(ids(again.body)).toEqual(ids(first.body));
      const master = expectedSummary(path).documentId as { system: string; value: string };
      const search = await request(app.app).get('/fhir/DocumentReference').query({ identifier: `${master.system}|${master.value}` });
      expect(search.body.total ?? search.body.entry?.length).toBe(1);
    });

    it('serves the original bytes from attachment.url, SHA-1 equal to attachment.hash (ITI-68)', async () => {
      const dr = bundleResources(first.body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;
      const attachment = dr.content[0].attachment;
      expect(attachment.url).toMatch(/^Binary\/[0-9a-f-]+$/);
      const got = await binaryBytes(app, attachment.url as string);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(bytes)).toBe(true);
      expect(createHash('sha1').update(got.bytes).digest('base64')).toBe(attachment.hash);
    });
  });

  it('links the patient found by INS: every French example lands in one Patient record', async () => {
    const patients = await request(app.app).get('/fhir/Patient').query({ identifier: 'urn:oid:1.2.250.1.213.1.4.10|279035121518989' });
    expect(patients.body.entry).toHaveLength(1);
  });

  it('keeps each practitioner once however many documents name them', async () => {
    const res = await request(app.app).get('/fhir/Practitioner').query({ identifier: 'urn:oid:1.2.250.1.71.4.2.1|801234534765' });
    expect(res.body.entry).toHaveLength(1);
  });
});
