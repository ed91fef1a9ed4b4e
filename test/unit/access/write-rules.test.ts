import type { Consent, DocumentReference, Patient, Practitioner } from '@medplum/fhirtypes';
import { createAccessHooks, markSystemContext } from '../../../src/access/access-hooks';
import type { DmpActor } from '../../../src/access/actor';
import { ActorResolver } from '../../../src/access/actor-resolver';
import { SystemRepository } from '../../../src/system/system-repository';
import type { RequestContext, WriteEvent } from '../../../src/fhir/context';
import { FhirError } from '../../../src/fhir/errors';
import type { Db } from '../../../src/store/db';
import { sql, TRUE } from '../../../src/store/sql';
import { ACTORS } from './actors';
import { buildConsent, loadFixture, maskDoc, professionalByRef, professionalByRpps, RPPS } from './fixture';
import { openTestDb } from './test-db';
import { RequestState } from '../../../src/fhir/request-state';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { WRITE_GRANT_STATE, withWriteGrants } from '../../../src/fhir/write-grants';
import { inWriteTransaction } from '../../support/write-transaction';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
  await loadFixture(db);
});
afterAll(() => db.close());

/** Runs beforeWrite as `actorName` inside a rolled-back transaction; answers the HTTP status (201 when allowed). */
async function statusOf(actorName: string, event: Partial<WriteEvent> & { resourceType: string; id: string }): Promise<number> {
  const hooks = createAccessHooks({ actors: new ActorResolver(new SystemRepository(db)), verifyToken: async () => ACTORS[actorName], clock: () => new Date('2026-03-01T12:00:00Z') });
  const ctx: RequestContext = { requestId: 't', access: TRUE, state: new RequestState() };
  await hooks.authenticate!({ headers: { authorization: 'Bearer x' }, method: 'POST', path: '/' }, ctx);
  const full: WriteEvent = { interaction: 'create', versionId: 1, compartment: null, ...event };
  try {
    await hooks.authorize!(ctx, { interaction: full.interaction, resourceType: full.resourceType, id: full.id, resource: full.resource });
    // As the router does: the authorised interaction grants this write (write-grants.ts).
    await withWriteGrants(ctx, [{ resourceType: full.resourceType, writes: [full.interaction] }], () =>
      inWriteTransaction(db, async (tx) => {
        await hooks.beforeWrite!(tx, ctx, full);
        throw new Rollback();
      }),
    );
    return 0;
  } catch (err) {
    if (err instanceof Rollback) return 201;
    if (err instanceof FhirError) return err.status;
    throw err;
  }
}
class Rollback extends Error {}

const obs = (compartment: string) => ({ resourceType: 'Observation', id: 'new-obs', compartment });
const careHistory: DocumentReference = {
  resourceType: 'DocumentReference', status: 'current', content: [],
  type: { coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.12', code: 'REMB' }] },
};
const dischargeLetter: DocumentReference = { resourceType: 'DocumentReference', status: 'current', content: [], type: { coding: [{ system: 'http://loinc.org', code: '11490-0' }] } };
/** The same letter written by the treating physician, which a feeder may submit on his behalf. */
const letterByGp: DocumentReference = { ...dischargeLetter, author: [{ reference: 'Practitioner/gp' }] };
const c1Open = buildConsent('c1-open', 'p1', { type: 'permit' });
const practitionerEntry = (rpps: string): Practitioner => ({ resourceType: 'Practitioner', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${rpps}` }] });

const WRITE_CASES: [string, string, Partial<WriteEvent> & { resourceType: string; id: string }, number][] = [
  ['patient', 'adds an allergy to his own record', obs('p1'), 201],
  ['patient', 'cannot add to another record (absent for him: 422)', obs('p2'), 422],
  ['patient of a closed record', 'cannot add entries to his closed record', obs('p4'), 422],
  ['guardian', 'adds an entry to the minor\'s record', obs('p1'), 201],
  ['treating physician', 'writes into his patient\'s record', obs('p1'), 201],
  ['authorised specialist', 'writes when authorised', obs('p1'), 201],
  ['authorised specialist', 'cannot write once his permit expired (absent for him: 422)', obs('p2'), 422],
  ['unauthorised practitioner', 'cannot write without authorisation (absent for him: 422)', obs('p1'), 422],
  ['blocked practitioner', 'cannot write when blocked despite a permit (absent for him: 422)', obs('p1'), 422],
  ['SAMU regulator', 'cannot write in emergency mode', obs('p1'), 403],
  ['break-glass practitioner', 'cannot write through break-glass', obs('p1'), 403],
  ['authorised specialist', 'cannot add to a record that was never opened', obs('p3'), 422],
  ['treating physician', 'cannot write into a closed record', obs('p4'), 422],
  ['feeder', 'submits a document of an authorised author to an open record', { resourceType: 'DocumentReference', id: 'x', compartment: 'p1', resource: letterByGp }, 201],
  ['feeder', 'cannot submit a document whose author is not authorised', { resourceType: 'DocumentReference', id: 'x', compartment: 'p1', resource: dischargeLetter }, 403],
  ['feeder', 'is refused with 422 for a record that was never opened', { resourceType: 'DocumentReference', id: 'x', compartment: 'p3', resource: dischargeLetter }, 422],
  ['feeder', 'is refused for a closed record', { resourceType: 'DocumentReference', id: 'x', compartment: 'p4', resource: dischargeLetter }, 422],
  ['feeder', 'cannot write a free-standing Observation into an open record', obs('p1'), 403],
  ['feeder', 'cannot update a row into a free-standing one', { ...obs('p1'), interaction: 'update', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } as never }, 403],
  ['feeder', 'writes what the import extracted from its document (source-document)', { ...obs('p1'), resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, extension: [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: 'DocumentReference/d1' } }] } as never }, 201],
  ['feeder', 'cannot keep a Binary under the Patient', { resourceType: 'Binary', id: 'b', compartment: 'p1', resource: { resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: 'Patient/p1' } } }, 403],
  ['Assurance Maladie', 'cannot write a free-standing Observation', obs('p1'), 403],
  ['Assurance Maladie', 'feeds care history even before opening', { resourceType: 'DocumentReference', id: 'x', compartment: 'p3', resource: careHistory }, 201],
  ['Assurance Maladie', 'may not create other documents', { resourceType: 'DocumentReference', id: 'x', compartment: 'p1', resource: dischargeLetter }, 403],
  ['Assurance Maladie', 'may not update', { interaction: 'update', resourceType: 'DocumentReference', id: 'd1', compartment: 'p1', resource: careHistory }, 403],
  ['Assurance Maladie', 'may not create consents', { resourceType: 'Consent', id: 'x', compartment: 'p1', resource: c1Open }, 403],
  ['insurer', 'is refused any write', obs('p1'), 403],
  ['employer', 'is refused any write', obs('p1'), 403],
  ['bank', 'is refused any write', obs('p1'), 403],
  ['occupational health', 'is refused any write', obs('p1'), 403],
  ['patient', 'authorises a professional', { resourceType: 'Consent', id: 'n', compartment: 'p1', resource: buildConsent('n', 'p1', { type: 'permit', actor: [professionalByRpps('10000000077')] }) }, 201],
  ['patient', 'masks a document', { resourceType: 'Consent', id: 'n', compartment: 'p1', resource: buildConsent('n', 'p1', { type: 'deny', data: maskDoc('d1') }) }, 201],
  ['patient', 'cannot block the treating physician (by reference)', { resourceType: 'Consent', id: 'n', compartment: 'p1', resource: buildConsent('n', 'p1', { type: 'deny', actor: [professionalByRef('gp')] }) }, 422],
  ['guardian', 'cannot block the treating physician (by IdNat_PS)', { resourceType: 'Consent', id: 'n', compartment: 'p1', resource: buildConsent('n', 'p1', { type: 'deny', actor: [professionalByRpps(RPPS.gp)] }) }, 422],
  ['patient', 'writes a Consent the server cannot understand: 422', { resourceType: 'Consent', id: 'n', compartment: 'p1', resource: buildConsent('n', 'p1', { type: 'deny' }) }, 422],
  ['authorised specialist', 'cannot change a Consent', { interaction: 'update', resourceType: 'Consent', id: 'c1-mask', compartment: 'p1', resource: buildConsent('c1-mask', 'p1', { type: 'deny', data: maskDoc('d1') }, 'inactive') }, 403],
  ['unauthorised practitioner', 'cannot open a record he did not create with the patient (absent for him: 422)', { resourceType: 'Consent', id: 'n', compartment: 'p3', resource: buildConsent('n', 'p3', { type: 'permit' }) }, 422],
  ['unauthorised practitioner', 'cannot record an authorisation for himself (absent for him: 422)', { resourceType: 'Consent', id: 'n', compartment: 'p3', resource: buildConsent('n', 'p3', { type: 'permit', actor: [professionalByRpps('10000000077')] }) }, 422],
  ['unauthorised practitioner', 'creates the Patient when opening a record', { resourceType: 'Patient', id: 'p9', compartment: 'p9', resource: { resourceType: 'Patient' } as Patient }, 201],
  ['patient by INS', 'opens his own record online', { resourceType: 'Patient', id: 'p10', compartment: 'p10', resource: { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: '279035121518989' }] } }, 201],
  ['patient by INS', 'cannot create someone else\'s Patient', { resourceType: 'Patient', id: 'p11', compartment: 'p11', resource: { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: '199999999999999' }] } }, 403],
  ['feeder', 'cannot create Patients', { resourceType: 'Patient', id: 'p12', compartment: 'p12', resource: { resourceType: 'Patient' } as Patient }, 403],
  ['treating physician', 'cannot change the treating physician', { interaction: 'update', resourceType: 'Patient', id: 'p1', compartment: 'p1', resource: { resourceType: 'Patient', id: 'p1' }, previous: { resourceType: 'Patient', id: 'p1', generalPractitioner: [{ reference: 'Practitioner/gp' }] } }, 403],
  ['patient', 'closes his record', { interaction: 'update', resourceType: 'Patient', id: 'p1', compartment: 'p1', resource: { resourceType: 'Patient', id: 'p1', active: false }, previous: { resourceType: 'Patient', id: 'p1' } }, 201],
  ['author of a masked document', 'cannot delete his own document without an authorisation', { interaction: 'delete', resourceType: 'DocumentReference', id: 'd1', compartment: 'p1' }, 403],
  ['treating physician', 'cannot delete a document he did not author', { interaction: 'delete', resourceType: 'DocumentReference', id: 'd1', compartment: 'p1' }, 403],
  ['patient', 'cannot write AuditEvents', { resourceType: 'AuditEvent', id: 'n', compartment: 'p1' }, 403],
  ['patient', 'cannot write directory entries', { resourceType: 'Organization', id: 'n' }, 403],
  ['feeder', 'creates a Practitioner entry carrying a national identifier', { resourceType: 'Practitioner', id: 'n', resource: practitionerEntry('10000000071') }, 201],
  ['feeder', 'cannot create a Practitioner entry without a national identifier', { resourceType: 'Practitioner', id: 'n', resource: { resourceType: 'Practitioner', identifier: [{ system: 'urn:local', value: '1' }] } }, 403],
  ['feeder', 'cannot create a second entry for an identifier already in the directory: 409', { resourceType: 'Practitioner', id: 'n', resource: practitionerEntry(RPPS.gp) }, 409],
  ['feeder', 'cannot update a directory entry', { interaction: 'update', resourceType: 'Practitioner', id: 'gp', resource: practitionerEntry(RPPS.gp) }, 403],
  ['treating physician', 'cannot update his own directory entry', { interaction: 'update', resourceType: 'Practitioner', id: 'gp', resource: practitionerEntry(RPPS.gp) }, 403],
  ['unauthorised practitioner', 'creates his own entry', { resourceType: 'Practitioner', id: 'n', resource: practitionerEntry('10000000077') }, 201],
  ['unauthorised practitioner', 'adds a colleague\'s entry not yet in the directory (it resolves to the colleague only)', { resourceType: 'Practitioner', id: 'n', resource: practitionerEntry('10000000071') }, 201],
  ['unauthorised practitioner', 'cannot add an entry for an identifier already in the directory: 409', { resourceType: 'Practitioner', id: 'n', resource: practitionerEntry(RPPS.gp) }, 409],
  ['unauthorised practitioner', 'cannot create an entry under an id already used (a deleted entry\'s)', { resourceType: 'Practitioner', id: 'gp', resource: practitionerEntry('10000000077') }, 403],
  ['feeder', 'creates an Organization carrying its IdNat_Struct', { resourceType: 'Organization', id: 'n', resource: { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1750803447' }] } }, 201],
  ['feeder', 'cannot create other directory types', { resourceType: 'Location', id: 'n', resource: { resourceType: 'Location' } }, 403],
  ['directory administrator', 'corrects a directory entry', { interaction: 'update', resourceType: 'Practitioner', id: 'gp', resource: practitionerEntry(RPPS.gp) }, 201],
  ['directory administrator', 'deletes a directory entry', { interaction: 'delete', resourceType: 'Organization', id: 'org1' }, 201],
];

describe('write rules', () => {
  test.each(WRITE_CASES)('%s %s (case %#)', async (actor, _what, event, status) => {
    expect(await statusOf(actor, event)).toBe(status);
  });

  test('withdrawing a permit that names the treating physician is refused with 422 explaining what to do', async () => {
    const permitGp = buildConsent('gp-permit', 'p1', { type: 'permit', actor: [professionalByRef('gp')] });
    const hooks = createAccessHooks({ actors: new ActorResolver(new SystemRepository(db)), verifyToken: async () => ACTORS.patient });
    const ctx: RequestContext = { requestId: 't', access: TRUE, state: new RequestState() };
    await hooks.authenticate!({ headers: {}, method: 'PUT', path: '/' }, ctx);
    ctx.state.set(WRITE_GRANT_STATE, [{ resourceType: 'Consent', writes: ['update'] }]);
    const err = await inWriteTransaction(db, (tx) => hooks.beforeWrite!(tx, ctx, { interaction: 'update', resourceType: 'Consent', id: 'gp-permit', versionId: 2, resource: { ...permitGp, status: 'inactive' } as Consent, previous: permitGp, compartment: 'p1', namedPatients: ['p1'] }))
      .catch((e: FhirError) => e);
    expect((err as FhirError).status).toBe(422);
    expect((err as FhirError).message).toMatch(/Change the treating physician/);
  });

  test('a server-internal context writes without an actor', async () => {
    const hooks = createAccessHooks({ actors: new ActorResolver(new SystemRepository(db)), verifyToken: async () => { throw new Error('no token'); } });
    const ctx: RequestContext = { requestId: 't', access: TRUE, state: new RequestState() };
    markSystemContext(ctx);
    await expect(inWriteTransaction(db, (tx) => hooks.beforeWrite!(tx, ctx, { interaction: 'create', resourceType: 'Observation', id: 'z', versionId: 1, compartment: 'p3' }))).resolves.toBeUndefined();
  });

  test('withdrawing the specialist\'s consent hides the record on the next request', async () => {
    const hooks = createAccessHooks({ actors: new ActorResolver(new SystemRepository(db)), verifyToken: async () => ACTORS['authorised specialist'] as DmpActor });
    const count = async () => {
      const ctx: RequestContext = { requestId: 't', access: TRUE, state: new RequestState() };
      await hooks.authenticate!({ headers: {}, method: 'GET', path: '/' }, ctx);
      return (await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource r WHERE r.compartment = 'p1' AND ${ctx.access}`)).rows[0].n;
    };
    expect(await count()).toBe(12);
    const withdrawn = { ...buildConsent('c1-spec', 'p1', { type: 'permit', actor: [professionalByRpps(RPPS.spec)] }), status: 'inactive' as const };
    await inWriteTransaction(db, (tx) => hooks.afterWrite!(tx, { requestId: 't', access: TRUE, state: new RequestState() }, { interaction: 'update', resourceType: 'Consent', id: 'c1-spec', versionId: 2, resource: withdrawn }));
    expect(await count()).toBe(0);
  });
});
