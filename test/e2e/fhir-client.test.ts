import Client from 'fhir-kit-client';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { openAccessHooksForTests } from '../support/open-access-hooks';
import { createTestDb, type TestDb } from '../support/test-db';

type Bundle = { total?: number; type: string; link?: { relation: string; url: string }[]; entry?: { resource: { id: string; resourceType: string; meta: { versionId: string } }; response?: { status: string; location: string } }[] };

let testDb: TestDb;
let server: RunningServer;
let client: Client;

beforeAll(async () => {
  testDb = await createTestDb();
  server = await startServer(loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent' }), { db: testDb.db, logger: createLogger('silent'), app: { hooks: [openAccessHooksForTests()] } });
  client = new Client({ baseUrl: server.fhirUrl });
});
afterAll(async () => {
  await server.close();
  await testDb.drop();
});

describe('a real FHIR client against a listening server', () => {
  it('reads the CapabilityStatement', async () => {
    const cs = (await client.capabilityStatement()) as unknown as { fhirVersion: string };
    expect(cs.fhirVersion).toBe('4.0.1');
  });

  it('creates, reads, vreads, updates with If-Match, and deletes', async () => {
    const created = (await client.create({ resourceType: 'Practitioner', body: { resourceType: 'Practitioner', name: [{ family: 'Kit' }] } })) as unknown as { id: string; meta: { versionId: string } };
    expect(created.meta.versionId).toBe('1');
    const read = (await client.read({ resourceType: 'Practitioner', id: created.id })) as unknown as { resourceType: 'Practitioner'; name: { family: string }[] };
    expect(read.name[0].family).toBe('Kit');
    const updated = (await client.update({
      resourceType: 'Practitioner', id: created.id, body: { ...read, gender: 'female' },
      options: { headers: { 'If-Match': 'W/"1"' } },
    })) as unknown as { meta: { versionId: string } };
    expect(updated.meta.versionId).toBe('2');
    await expect(client.update({ resourceType: 'Practitioner', id: created.id, body: { ...read, gender: 'male' }, options: { headers: { 'If-Match': 'W/"1"' } } }))
      .rejects.toMatchObject({ response: { status: 412 } });
    const v1 = (await client.vread({ resourceType: 'Practitioner', id: created.id, version: '1' })) as unknown as { gender?: string };
    expect(v1.gender).toBeUndefined();
    const history = (await client.resourceHistory({ resourceType: 'Practitioner', id: created.id })) as unknown as Bundle;
    expect(history.entry?.map((e) => e.resource.meta.versionId)).toEqual(['2', '1']);
    await client.delete({ resourceType: 'Practitioner', id: created.id });
    await expect(client.read({ resourceType: 'Practitioner', id: created.id })).rejects.toMatchObject({ response: { status: 410 } });
  });

  it('creates conditionally without duplicates', async () => {
    const body = { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1750803447' }], name: 'CH' };
    const options = { headers: { 'If-None-Exist': 'identifier=urn:oid:1.2.250.1.71.4.2.2|1750803447' } };
    const a = (await client.create({ resourceType: 'Organization', body, options })) as unknown as { id: string };
    const b = (await client.create({ resourceType: 'Organization', body, options })) as unknown as { id: string };
    expect(b.id).toBe(a.id);
  });

  it('searches and pages to the last page with next links', async () => {
    for (let i = 0; i < 12; i++) await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: 'Paged', given: [String(i)] }] } });
    let page = (await client.search({ resourceType: 'Patient', searchParams: { family: 'paged', _count: 5 } })) as unknown as Bundle;
    expect(page.total).toBe(12);
    const seen = [...(page.entry ?? [])];
    while (page.link?.some((l) => l.relation === 'next')) {
      page = (await client.nextPage({ bundle: page as never })) as unknown as Bundle;
      seen.push(...(page.entry ?? []));
    }
    expect(seen).toHaveLength(12);
    expect(new Set(seen.map((e) => e.resource.id)).size).toBe(12);
  });

  it('posts a transaction whose entries reference each other by urn:uuid', async () => {
    const result = (await client.transaction({
      body: {
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:2f6f3b5e-1111-4222-8333-444455556666', resource: { resourceType: 'Patient', name: [{ family: 'Bundled' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'AllergyIntolerance', patient: { reference: 'urn:uuid:2f6f3b5e-1111-4222-8333-444455556666' }, code: { text: 'Pénicilline' } }, request: { method: 'POST', url: 'AllergyIntolerance' } },
        ],
      },
    })) as unknown as Bundle;
    expect(result.type).toBe('transaction-response');
    const patientId = result.entry?.[0].response?.location.split('/')[5];
    const allergies = (await client.search({ resourceType: 'AllergyIntolerance', searchParams: { patient: patientId as string } })) as unknown as Bundle;
    expect(allergies.total).toBe(1);
  });
});
