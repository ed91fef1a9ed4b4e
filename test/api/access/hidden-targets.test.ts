import { IDNAT, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11, hidden is absent for the references a write decides by: a Binary's securityContext and a List's entries
// make the row part of the DocumentReference they name (its record, masks, authors). Naming a document hidden from the
// writer must answer exactly as naming one that never existed — same status, same body — and write nothing; otherwise
// a writer attaches to what he cannot read, or learns from the status which documents exist or are masked.
// Fixture: d2 is masked from spec in p1 (written by `author`); e1 is in p2, where spec's permit expired; d4 is
// INVISIBLE_PATIENT; d1 is an ordinary document of p1 that the blocked professional and the feeder cannot read.

const { send, app } = useFixtureApp({
  spec: { kind: 'practitioner', id: RPPS.spec },
  blocked: { kind: 'practitioner', id: RPPS.blocked },
  patient: { kind: 'patient', id: 'p1' },
  feeder: { kind: 'system', id: 'lab-feeder' },
});

const MISSING = 'no-such-document';
type Write = [method: 'post' | 'put', url: string, body: unknown];

const binary = (doc: string) => ({ resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: `DocumentReference/${doc}` }, data: Buffer.from('annexe').toString('base64') });
const list = (doc: string) => ({ resourceType: 'List', status: 'current', mode: 'working', subject: { reference: 'Patient/p1' }, entry: [{ item: { reference: `DocumentReference/${doc}` } }] });
const transaction = (doc: string) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:5d1f0b6e-0000-4000-8000-000000000001', resource: binary(doc), request: { method: 'POST', url: 'Binary' } }] });

/** The reference kinds, each as the write that names the document. */
const KINDS: Record<string, (doc: string) => Write> = {
  'POST Binary (securityContext)': (doc) => ['post', '/fhir/Binary', binary(doc)],
  'a transaction’s Binary entry': (doc) => ['post', '/fhir', transaction(doc)],
  'POST List (entry.item)': (doc) => ['post', '/fhir/List', list(doc)],
};

/** Status and body with the document's id replaced, so a hidden and a missing document can be compared. */
async function answer(who: string, write: Write, doc: string): Promise<{ status: number; body: string }> {
  const res = await send(who, write[0], write[1], write[2]);
  return { status: res.status, body: JSON.stringify(res.body).split(doc).join('<doc>') };
}

/** Rows that joined the document (its Binaries and Lists), as the database holds them. */
async function rowsOf(doc: string): Promise<number> {
  const { rows } = await app().testDb.db.query<{ n: string }>(`SELECT count(*) AS n FROM resource WHERE doc_id = $1 AND type IN ('Binary', 'List')`, [doc]);
  return Number(rows[0].n);
}

const CASES: [who: string, hidden: string, why: string][] = [
  ['spec', 'd2', 'a document masked from him in a record he writes in'],
  ['spec', 'e1', 'a document of a record he may no longer open'],
  ['blocked', 'd1', 'a document of the record that blocked him'],
  ['patient', 'd4', 'his own record’s INVISIBLE_PATIENT document'],
  ['feeder', 'd1', 'a document the feeder did not submit (it reads nothing)'],
];

describe('a write naming a hidden document answers as if it did not exist, and writes nothing', () => {
  for (const [kind, build] of Object.entries(KINDS)) {
    for (const [who, hidden, why] of CASES) {
      it(`${kind}: ${who}, ${why}`, async () => {
        const before = await rowsOf(hidden);
        const missing = await answer(who, build(MISSING), MISSING);
        const seen = await answer(who, build(hidden), hidden);
        expect(seen).toEqual(missing);
        expect(await rowsOf(hidden)).toBe(before);
      });
    }
  }

  it('answers a missing document with 422 naming the path', async () => {
    const res = await send('spec', 'post', '/fhir/Binary', binary(MISSING));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toBe(`Binary.securityContext names DocumentReference/${MISSING}, which does not exist on this server`);
  });

  it('a Consent masking a document answers the same whether it is hidden from the patient or missing', async () => {
    const mask = (doc: string) => ({
      resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/p1' },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      provision: { type: 'deny', data: [{ meaning: 'instance', reference: { reference: `DocumentReference/${doc}` } }] },
    });
    const missing = await send('patient', 'post', '/fhir/Consent', mask(MISSING));
    const hidden = await send('patient', 'post', '/fhir/Consent', mask('d4'));
    expect([hidden.status, missing.status]).toEqual([201, 201]);
  });

  it('an update that moves a Binary to a hidden document answers as for a missing one', async () => {
    const created = await send('spec', 'post', '/fhir/Binary', { ...binary('x'), securityContext: { reference: 'Patient/p1' } });
    expect(created.status).toBe(201);
    const move = (doc: string): Write => ['put', `/fhir/Binary/${created.body.id}`, { ...binary(doc), id: created.body.id }];
    const missing = await answer('spec', move(MISSING), MISSING);
    expect(missing.status).toBe(422);
    expect(await answer('spec', move('d2'), 'd2')).toEqual(missing);
  });

  it('still lets a submission name the document it creates, and the author attach to his own', async () => {
    const doc = {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      author: [{ identifier: { system: IDNAT, value: `8${RPPS.spec}` } }],
      content: [{ attachment: { contentType: 'text/plain', url: 'urn:uuid:5d1f0b6e-0000-4000-8000-00000000000b' } }],
    };
    const bundle = {
      resourceType: 'Bundle', type: 'transaction', entry: [
        { fullUrl: 'urn:uuid:5d1f0b6e-0000-4000-8000-00000000000b', resource: { ...binary('x'), securityContext: { reference: 'urn:uuid:5d1f0b6e-0000-4000-8000-00000000000d' } }, request: { method: 'POST', url: 'Binary' } },
        { fullUrl: 'urn:uuid:5d1f0b6e-0000-4000-8000-00000000000d', resource: doc, request: { method: 'POST', url: 'DocumentReference' } },
        { resource: { ...list('x'), entry: [{ item: { reference: 'urn:uuid:5d1f0b6e-0000-4000-8000-00000000000d' } }] }, request: { method: 'POST', url: 'List' } },
      ],
    };
    const res = await send('spec', 'post', '/fhir', bundle);
    expect(res.status).toBe(200);
    const docId = /DocumentReference\/([^/]+)/.exec(res.body.entry[1].response.location)?.[1] as string;
    expect(await rowsOf(docId)).toBe(2);
    expect((await send('spec', 'post', '/fhir/Binary', binary(docId))).status).toBe(201);
    expect((await send('spec', 'post', '/fhir/List', list(docId))).status).toBe(201);
  });
});
