import type { Consent } from '@medplum/fhirtypes';
import { consent, IDNAT, RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, eighth sweep, family "a rule that names nobody or nothing". Rule (src/access/README.md, "The
// Consent coding"): a Consent names a professional by a local `Practitioner/<id>` or by his national identifier under the
// IdNat_PS or RPPS system, and a masked document by `DocumentReference/<id>`; the access tables compare those keys with
// the keys of the caller's token and with the documents' ids. A name in any other form matches no token and no document,
// so a block written so blocked nobody, and a mask masked nothing, while the patient was told 201: they are refused with
// 422 naming the element. Fixture: the specialist `spec` (RPPS 10000000002, Practitioner/spec) is authorised on p1 and
// reads document d1.

const { call } = useSweepServer('dmp-sweep8-actors-');
const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };

/** A block of p1 naming the specialist by `reference` (no id: the server draws it). */
function blockNaming(reference: Record<string, unknown>): Consent {
  const { id, ...body } = consent('x', 'p1', { type: 'deny', actor: [{ role: IRCP, reference }] } as NonNullable<Consent['provision']>);
  void id;
  return body as Consent;
}

const UNREADABLE: [label: string, reference: Record<string, unknown>][] = [
  ['an absolute URL', { reference: 'http://127.0.0.1/fhir/Practitioner/spec' }],
  ['a trailing slash', { reference: 'Practitioner/spec/' }],
  ['surrounding spaces', { reference: ' Practitioner/spec ' }],
  ['a conditional reference', { reference: `Practitioner?identifier=${IDNAT}|8${RPPS.spec}` }],
  ['a PractitionerRole', { reference: 'PractitionerRole/spec-role' }],
  ['a urn', { reference: 'urn:uuid:4b0b7a3e-4c36-4b8e-9d1c-2d6c7c3b8f10' }],
  ['the IdNat_PS OID in capitals', { identifier: { system: IDNAT.toUpperCase(), value: `8${RPPS.spec}` } }],
  ['the bare IdNat_PS OID', { identifier: { system: IDNAT.replace('urn:oid:', ''), value: `8${RPPS.spec}` } }],
  ['a value with a space', { identifier: { system: IDNAT, value: ` 8${RPPS.spec}` } }],
  ['the RPPS system over http', { identifier: { system: 'http://rpps.esante.gouv.fr', value: RPPS.spec } }],
  ['a reference typed as another kind', { type: 'Organization', reference: 'Practitioner/spec' }],
  ['a reference and an identifier at once', { reference: 'Practitioner/blocked', identifier: { system: IDNAT, value: `8${RPPS.spec}` } }],
];

describe('a block names the professional in a form a token matches, or is refused', () => {
  for (const [label, reference] of UNREADABLE) {
    it(`${label}: 422 naming provision.actor, nothing written`, async () => {
      const before = await call('patient', 'GET', '/Consent?patient=Patient/p1&_summary=count');
      const write = await call('patient', 'POST', '/Consent', blockNaming(reference));
      expect(write.status).toBe(422);
      expect(write.body.resourceType).toBe('OperationOutcome');
      expect(write.text).toContain('provision.actor[0].reference');
      const after = await call('patient', 'GET', '/Consent?patient=Patient/p1&_summary=count');
      expect(after.body.total).toBe(before.body.total);
    });
  }

  it('each spelling a token matches still blocks (the comparison can fail)', async () => {
    for (const reference of [{ reference: 'Practitioner/spec' }, { identifier: { system: IDNAT, value: `8${RPPS.spec}` } }, { identifier: { system: 'https://rpps.esante.gouv.fr', value: RPPS.spec } }]) {
      expect((await call('spec', 'GET', '/DocumentReference/d1')).status).toBe(200);
      const write = await call('patient', 'POST', '/Consent', blockNaming(reference));
      expect(write.status).toBe(201);
      expect((await call('spec', 'GET', '/DocumentReference/d1')).status).toBe(404);
      expect((await call('patient', 'DELETE', `/Consent/${write.body.id}`)).status).toBe(200);
    }
  });
});

/** A mask of p1 naming a document by `reference` (no id: the server draws it). */
function maskNaming(reference: Record<string, unknown>): Consent {
  const { id, ...body } = consent('x', 'p1', { type: 'deny', data: [{ meaning: 'instance', reference }] } as NonNullable<Consent['provision']>);
  void id;
  return body as Consent;
}

const UNREADABLE_DOCUMENTS: [label: string, reference: Record<string, unknown>][] = [
  ['a trailing space', { reference: 'DocumentReference/d1 ' }],
  ['a query', { reference: 'DocumentReference/d1?_format=json' }],
  ['a fragment', { reference: 'DocumentReference/d1#content' }],
  ['a reference typed as another kind', { type: 'Binary', reference: 'DocumentReference/d1' }],
];

describe('a mask names the document by its id exactly, or is refused', () => {
  for (const [label, reference] of UNREADABLE_DOCUMENTS) {
    it(`${label}: 422 naming provision.data, nothing written`, async () => {
      const before = await call('patient', 'GET', '/Consent?patient=Patient/p1&_summary=count');
      const write = await call('patient', 'POST', '/Consent', maskNaming(reference));
      expect(write.status).toBe(422);
      expect(write.text).toContain('provision.data[0]');
      const after = await call('patient', 'GET', '/Consent?patient=Patient/p1&_summary=count');
      expect(after.body.total).toBe(before.body.total);
    });
  }

  it('the id, or a version of it, still masks (the comparison can fail)', async () => {
    for (const reference of [{ reference: 'DocumentReference/d1' }, { reference: 'DocumentReference/d1/_history/1' }]) {
      expect((await call('spec', 'GET', '/DocumentReference/d1')).status).toBe(200);
      const write = await call('patient', 'POST', '/Consent', maskNaming(reference));
      expect(write.status).toBe(201);
      expect((await call('spec', 'GET', '/DocumentReference/d1')).status).toBe(404);
      expect((await call('patient', 'DELETE', `/Consent/${write.body.id}`)).status).toBe(200);
    }
  });
});
