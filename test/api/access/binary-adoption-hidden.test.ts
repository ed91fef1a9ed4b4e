import type { Binary } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { A07, RPPS, systemContext } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11 "hidden is absent", for writes: a DocumentReference pointing at a stored Binary adopts it
// (access/binary-adoption.ts). A Binary hidden from the writer must get the answer of one that does not exist — not a
// 403 that says the id exists — and must stay exactly as it was. The hidden Binary here carries MASQUE_PS itself (only
// the server's own writes can put a flag on a Binary): the authorised specialist cannot see it, nor change it.

const { app, send, get } = useFixtureApp({
  spec: { kind: 'practitioner', id: RPPS.spec },
  gp: { kind: 'practitioner', id: RPPS.gp },
});

const HIDDEN = 'masked-standalone-bin';
const MISSING = 'never-existed-bin';

const documentPointingAt = (binaryId: string) => ({
  resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
  type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
  author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.spec}` } }],
  content: [{ attachment: { contentType: 'text/plain', url: `Binary/${binaryId}` } }],
});

/** The answer with what differs by nature (the drawn id, the time, the Binary id named) taken out. */
const comparable = (res: { status: number; body: unknown }, binaryId: string) => ({
  status: res.status,
  body: JSON.stringify(res.body).split(binaryId).join('<binary>')
    .replace(/"id":"[^"]+"/g, '"id":"<id>"').replace(/"lastUpdated":"[^"]+"/g, '"lastUpdated":"<t>"'),
});

/** The stored row of the Binary as the store keeps it: its governing document, record, version. */
async function storedBinary(): Promise<{ doc_id: string | null; compartment: string | null; version_id: number } | undefined> {
  const { rows } = await app().testDb.db.query<{ doc_id: string | null; compartment: string | null; version_id: number }>(
    sql`SELECT doc_id, compartment, version_id FROM resource WHERE type = 'Binary' AND id = ${HIDDEN}`,
  );
  return rows[0];
}

describe('a document pointing at a Binary hidden from its writer gets the answer of a missing Binary', () => {
  beforeAll(async () => {
    const binary: Binary = {
      resourceType: 'Binary', id: HIDDEN, contentType: 'text/plain', meta: { security: [{ system: A07, code: 'MASQUE_PS' }] },
      securityContext: { reference: 'Patient/p1' }, data: Buffer.from('compte rendu masqué').toString('base64'),
    };
    await app().service.repo.update(systemContext(), binary);
  });

  it('is hidden from the specialist (404 like a missing one) and visible to the treating physician', async () => {
    expect((await get('spec', `/fhir/Binary/${HIDDEN}`)).status).toBe(404);
    expect((await get('spec', `/fhir/Binary/${MISSING}`)).status).toBe(404);
    expect((await get('gp', `/fhir/Binary/${HIDDEN}`)).status).toBe(200);
  });

  it('answers the same status and body for the hidden Binary as for one that never existed, and leaves the hidden one untouched', async () => {
    const before = await storedBinary();
    expect(before).toMatchObject({ doc_id: null, compartment: 'p1' });
    const hidden = await send('spec', 'post', '/fhir/DocumentReference', documentPointingAt(HIDDEN));
    const missing = await send('spec', 'post', '/fhir/DocumentReference', documentPointingAt(MISSING));
    // The same assertions for both: the document is written (a url naming no Binary is not refused: measured on main,
    // a missing Binary answers 201), it points where it was told, and it governs nothing.
    for (const [res, id] of [[hidden, HIDDEN], [missing, MISSING]] as const) {
      expect(res.status).toBe(201);
      expect(res.body.content[0].attachment.url).toBe(`Binary/${id}`);
    }
    expect(comparable(hidden, HIDDEN)).toEqual(comparable(missing, MISSING));
    // Not adopted: no document governs it, same record, same version; the treating physician still reads it as before.
    expect(await storedBinary()).toEqual(before);
    expect((await get('gp', `/fhir/Binary/${HIDDEN}`)).status).toBe(200);
    expect((await get('spec', `/fhir/Binary/${HIDDEN}`)).status).toBe(404);
  });

  it('does not adopt it either when the document is written again (an update re-runs the adoption)', async () => {
    const created = await send('spec', 'post', '/fhir/DocumentReference', documentPointingAt(HIDDEN));
    const before = await storedBinary();
    const updated = await send('spec', 'put', `/fhir/DocumentReference/${created.body.id}`, { ...documentPointingAt(HIDDEN), id: created.body.id, description: 'v2' });
    expect(updated.status).toBe(200);
    expect(await storedBinary()).toEqual(before);
    expect((await get('spec', `/fhir/Binary/${HIDDEN}`)).status).toBe(404);
  });
});
