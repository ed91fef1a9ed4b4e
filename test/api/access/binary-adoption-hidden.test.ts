import type { Binary } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { A07, RPPS, systemContext } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11 "hidden is absent", for writes: a DocumentReference pointing at a stored Binary adopts it
// (access/binary-adoption.ts). A Binary hidden from the writer must get the answer of one that does not exist (422, the
// document is not written: a content that can never be read) — not a
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

  it('answers the same 422 and body for the hidden Binary as for one that never existed, writes nothing, leaves the hidden one untouched', async () => {
    const before = await storedBinary();
    expect(before).toMatchObject({ doc_id: null, compartment: 'p1' });
    const documents = async () => (await app().testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'DocumentReference'`)).rows[0].n;
    const count = await documents();
    const hidden = await send('spec', 'post', '/fhir/DocumentReference', documentPointingAt(HIDDEN));
    const missing = await send('spec', 'post', '/fhir/DocumentReference', documentPointingAt(MISSING));
    // A document whose content can never be read is refused (a token writer cannot create a Binary under a chosen id
    // later), and a hidden Binary is answered exactly as a missing one: the same words, the Binary's id aside.
    for (const [res, id] of [[hidden, HIDDEN], [missing, MISSING]] as const) {
      expect(res.status).toBe(422);
      expect(res.body.issue[0].diagnostics).toBe(`DocumentReference.content[0].attachment.url names Binary/${id}, which does not exist on this server (send the content inline, or a Binary of your own first)`);
      expect(res.body.issue[0].expression).toEqual(['DocumentReference.content[0].attachment.url']);
    }
    expect(comparable(hidden, HIDDEN)).toEqual(comparable(missing, MISSING));
    expect(await documents()).toBe(count);
    // Not adopted: no document governs it, same record, same version; the treating physician still reads it as before.
    expect(await storedBinary()).toEqual(before);
    expect((await get('gp', `/fhir/Binary/${HIDDEN}`)).status).toBe(200);
    expect((await get('spec', `/fhir/Binary/${HIDDEN}`)).status).toBe(404);
  });

  it('the same in a transaction: the whole Bundle is refused, nothing written', async () => {
    const bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:6b1f3a52-0c1e-4a4e-9a55-2f1e2b0c9d11', resource: documentPointingAt(HIDDEN), request: { method: 'POST', url: 'DocumentReference' } }],
    };
    const res = await send('spec', 'post', '/fhir', bundle);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain(`names Binary/${HIDDEN}, which does not exist on this server`);
  });

  it('a Binary the writer may change is still taken in, and a visible one governed by another document is pointed at, not taken', async () => {
    const own = await send('spec', 'post', '/fhir/Binary', { resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: 'Patient/p1' }, data: Buffer.from('mon compte rendu').toString('base64') });
    expect(own.status).toBe(201);
    const first = await send('spec', 'post', '/fhir/DocumentReference', documentPointingAt(own.body.id));
    expect(first.status).toBe(201);
    const adopted = await app().testDb.db.query<{ doc_id: string | null }>(sql`SELECT doc_id FROM resource WHERE type = 'Binary' AND id = ${own.body.id}`);
    expect(adopted.rows[0].doc_id).toBe(first.body.id);
    const second = await send('spec', 'post', '/fhir/DocumentReference', documentPointingAt(own.body.id));
    expect(second.status).toBe(201);
    const still = await app().testDb.db.query<{ doc_id: string | null }>(sql`SELECT doc_id FROM resource WHERE type = 'Binary' AND id = ${own.body.id}`);
    expect(still.rows[0].doc_id).toBe(first.body.id);
  });

  it('a name carried over from the previous version (stored before this rule) is not adopted when the document is written again', async () => {
    const created = await send('spec', 'post', '/fhir/DocumentReference', {
      ...documentPointingAt(HIDDEN), content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('x').toString('base64') } }],
    });
    expect(created.status).toBe(201);
    // What a document accepted under the former rule (201, not adopted) looks like in the store.
    await app().testDb.db.query(sql`UPDATE resource SET text = ${JSON.stringify({ ...created.body, content: [{ attachment: { contentType: 'text/plain', url: `Binary/${HIDDEN}` } }] })}
      WHERE type = 'DocumentReference' AND id = ${created.body.id}`);
    const before = await storedBinary();
    const updated = await send('spec', 'put', `/fhir/DocumentReference/${created.body.id}`, { ...documentPointingAt(HIDDEN), id: created.body.id, description: 'v2' });
    expect(updated.status).toBe(200);
    expect(await storedBinary()).toEqual(before);
    expect((await get('spec', `/fhir/Binary/${HIDDEN}`)).status).toBe(404);
  });
});
