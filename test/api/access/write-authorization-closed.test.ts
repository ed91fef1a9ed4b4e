import type { Observation, Patient } from '@medplum/fhirtypes';
import { createHandler } from '../../../src/fhir/handlers/create';
import type { OperationDefinitionEntry } from '../../../src/fhir/service';
import { storedResponse } from '../../../src/fhir/service';
import { RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11: write authorisation belongs to the request pipeline, not to the handlers. The router authorises every
// write interaction and grants the handler exactly the writes of its route; an operation writes only what it declares
// (`writes`). So a handler or operation added without authorisation is refused (closed by default): these register
// such handlers next to the real ones and call them over HTTP as actors who could make the same change the ordinary
// way.

const observation = (patientId: string): Observation => ({ resourceType: 'Observation', status: 'final', code: { text: 'glycémie' }, subject: { reference: `Patient/${patientId}` } });

/** Changes the Patient's marital status through the repository (a change the patient may make by PUT). */
function remarry(name: string, writes?: OperationDefinitionEntry['writes']): OperationDefinitionEntry {
  return {
    name,
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    writes,
    async handler(svc, ctx, req, target) {
      const current = await svc.repo.read(ctx, 'Patient', target.id as string);
      const patient = JSON.parse(current.text as string) as Patient;
      const { stored } = await svc.repo.update(ctx, { ...patient, maritalStatus: { text: name } }, { ifMatch: current.versionId });
      return storedResponse(200, req.baseUrl, stored);
    },
  };
}

const OPERATIONS: OperationDefinitionEntry[] = [
  remarry('$undeclared-write'),
  remarry('$declared-write', [{ resourceType: 'Patient', writes: ['update'] }]),
  {
    // A new write handler that calls the create handler itself instead of going through the router.
    name: '$create-bypassing-router',
    level: 'type',
    resourceType: 'Observation',
    methods: ['POST'],
    handler: (svc, ctx, req) => createHandler(svc, ctx, { ...req, segments: ['Observation'], body: observation('p1') }),
  },
  {
    // Declares a Patient update but writes an Observation: a grant is for the declared type only.
    name: '$writes-other-type',
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    writes: [{ resourceType: 'Patient', writes: ['update'] }],
    handler: (svc, ctx, req) => createHandler(svc, ctx, { ...req, segments: ['Observation'], body: observation('p1') }),
  },
];

const { get, send } = useFixtureApp(
  { patient: { kind: 'patient', id: 'p1' }, specialist: { kind: 'practitioner', id: RPPS.spec }, insurer: { kind: 'system', id: 'mutuelle', category: 'insurer' } },
  { extraOperations: OPERATIONS },
);

const observationCount = async (): Promise<number> => (await get('patient', '/fhir/Observation?subject=Patient/p1&_summary=count')).body.total;

describe('writes are authorised by the pipeline, closed by default', () => {
  it('refuses an operation that writes without declaring it, even for a change its caller may make by PUT', async () => {
    const before = (await get('patient', '/fhir/Patient/p1')).body as Patient;
    const res = await send('patient', 'post', '/fhir/Patient/p1/$undeclared-write', { resourceType: 'Parameters' });
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(/update of Patient was not authorised for this request/);
    const after = (await get('patient', '/fhir/Patient/p1')).body as Patient;
    expect(after.meta?.versionId).toBe(before.meta?.versionId);
    expect(after.maritalStatus).toBeUndefined();
  });

  it('lets the same operation write once it declares the write (the refusal above is the missing declaration)', async () => {
    const res = await send('patient', 'post', '/fhir/Patient/p1/$declared-write', { resourceType: 'Parameters' });
    expect(res.status).toBe(200);
    expect((await get('patient', '/fhir/Patient/p1')).body.maritalStatus).toEqual({ text: '$declared-write' });
  });

  it('refuses a handler that calls the create handler without passing through the router, for an actor who may create there', async () => {
    const before = await observationCount();
    const res = await send('specialist', 'post', '/fhir/Observation/$create-bypassing-router', { resourceType: 'Parameters' });
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/create of Observation was not authorised/);
    expect(await observationCount()).toBe(before);
    // The same Observation through the router is the specialist's to write.
    expect((await send('specialist', 'post', '/fhir/Observation', observation('p1'))).status).toBe(201);
    expect(await observationCount()).toBe(before + 1);
  });

  it('refuses a write of another type than the one an operation declared', async () => {
    const before = await observationCount();
    const res = await send('patient', 'post', '/fhir/Patient/p1/$writes-other-type', { resourceType: 'Parameters' });
    expect(res.status).toBe(403);
    expect(await observationCount()).toBe(before);
  });

  it('authorises each write interaction in the router, before the handler runs: a refused actor never reaches it', async () => {
    // An insurer is refused by the authorize step itself (403 naming his category), for every write form.
    const cases: [string, 'post' | 'put' | 'patch' | 'delete', string, unknown][] = [
      ['create', 'post', '/fhir/Observation', observation('p1')],
      ['update', 'put', '/fhir/Observation/d1-obs', { ...observation('p1'), id: 'd1-obs' }],
      ['conditional update', 'put', '/fhir/Observation?_id=d1-obs', observation('p1')],
      ['patch', 'patch', '/fhir/Observation/d1-obs', [{ op: 'replace', path: '/status', value: 'amended' }]],
      ['conditional patch', 'patch', '/fhir/Observation?_id=d1-obs', [{ op: 'replace', path: '/status', value: 'amended' }]],
      ['delete', 'delete', '/fhir/Observation/d1-obs', undefined],
      ['conditional delete', 'delete', '/fhir/Observation?_id=d1-obs', undefined],
    ];
    for (const [what, method, url, body] of cases) {
      const res = await send('insurer', method, url, body).set('Content-Type', Array.isArray(body) ? 'application/json-patch+json' : 'application/fhir+json');
      expect([what, res.status]).toEqual([what, 403]);
      expect(res.body.issue[0].diagnostics).toMatch(/category insurer may never access/);
    }
  });
});
