import { RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, fourth sweep, family "identity": tokens with odd claims, over HTTP on the production
// composition (access, audit, documents). Expected answers come from the rules (DESIGN §5 "Keys come from the token",
// src/access/README.md "The directory cannot grant access", "Tokens"): a token names one person, his keys come from his
// national identifiers, and a token naming two people is refused like a forged one (401), as sweep 3 settled for a
// patient token naming a record and another record's INS.
// Fixture: p1 open, treating physician Practitioner/gp (RPPS 10000000001), d2 masked by consent, d3 MASQUE_PS,
// d4 INVISIBLE_PATIENT; spec authorised on p1; Practitioner/blocked blocked on p1; p2 has document e1.

const { call, tokenWith, raw } = useSweepServer('dmp-sweep4-identity-');

const ids = (body: { entry?: { resource: { id: string } }[] }): string[] => (body?.entry ?? []).map((e) => e.resource.id);
const documentsSeen = async (claims: Record<string, unknown>): Promise<number | string[]> => {
  const res = await raw(await tokenWith(claims), 'GET', '/DocumentReference?_count=100');
  return res.status === 200 ? ids(res.body).filter((id) => /^[d-g]\d$/.test(id)).sort() : res.status;
};
const professional = (rpps: string, extra: Record<string, unknown> = {}) => ({ dmp_kind: 'practitioner', rpps, scope: 'user/*.cruds', ...extra });

describe('a fhirUser claim names the token\'s own person or the token is refused', () => {
  it('an unauthorised professional whose token names the treating physician\'s entry gets 401, not the masked documents', async () => {
    // Before: the entry named in fhirUser became one of his keys, so he read p1 as its treating physician (d2, d3, d4).
    expect(await documentsSeen(professional('10000000077', { fhirUser: 'Practitioner/gp' }))).toBe(401);
    expect(await documentsSeen(professional('10000000077', { fhirUser: 'https://dmp.example/fhir/Practitioner/gp' }))).toBe(401);
    // The same with no kind and no identifier: inferred a professional from fhirUser alone.
    expect(await documentsSeen({ fhirUser: 'Practitioner/gp', scope: 'user/*.cruds' })).toBe(401);
    // A blocked professional cannot slip past his block as the authorised specialist's entry either.
    expect(await documentsSeen(professional(RPPS.blocked, { fhirUser: 'Practitioner/spec' }))).toBe(401);
    // A professional's fhirUser naming a patient or a RelatedPerson names someone else.
    expect(await documentsSeen(professional(RPPS.spec, { fhirUser: 'Patient/p1' }))).toBe(401);
  });

  it('a professional whose fhirUser names his own entry reads as before (the comparison can fail)', async () => {
    expect(await documentsSeen(professional(RPPS.spec, { fhirUser: 'Practitioner/spec' }))).toEqual(['d1', 'd4', 'd5']);
    expect(await documentsSeen(professional(RPPS.gp, { fhirUser: 'Practitioner/gp' }))).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
  });

  it('a patient token naming one record in `patient` and another in fhirUser is refused, and leaves no trail entry in the other\'s name', async () => {
    // Before: p1 read his record and his trail showed the reads as made by Patient/p2.
    const forged = await tokenWith({ dmp_kind: 'patient', patient: 'p1', fhirUser: 'Patient/p2', scope: 'patient/*.cruds' });
    expect((await raw(forged, 'GET', '/DocumentReference/d1')).status).toBe(401);
    expect((await raw(await tokenWith({ dmp_kind: 'patient', patient: 'p1', fhirUser: 'Practitioner/gp', scope: 'patient/*.cruds' }), 'GET', '/DocumentReference/d1')).status).toBe(401);
    const trail = await call('patient', 'GET', '/AuditEvent?patient=Patient/p1&_count=1000');
    expect(trail.status).toBe(200);
    expect(trail.text).not.toContain('"reference":"Patient/p2"');
    // The consistent form still works.
    expect((await raw(await tokenWith({ dmp_kind: 'patient', patient: 'p1', fhirUser: 'Patient/p1', scope: 'patient/*.cruds' }), 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('a guardian token whose fhirUser names a professional is refused', async () => {
    expect((await raw(await tokenWith({ dmp_kind: 'guardian', fhirUser: 'Practitioner/gp', scope: 'patient/*.cruds' }, 'rp1'), 'GET', '/DocumentReference/d1')).status).toBe(401);
  });

  it('a system token\'s fhirUser naming a professional does not make the trail name him as the agent', async () => {
    const system = await tokenWith({ dmp_kind: 'system', client_id: 'lab-feeder', fhirUser: 'Practitioner/gp', scope: 'system/*.cruds' });
    const refused = await raw(system, 'GET', '/DocumentReference?patient=Patient/p1');
    expect(refused.status).toBe(200);
    expect(ids(refused.body)).toEqual([]);
    const trail = await call('patient', 'GET', '/AuditEvent?patient=Patient/p1&_count=1000');
    const agents = (trail.body.entry ?? []).flatMap((e: { resource: { agent?: { who?: { reference?: string; identifier?: { value?: string } } }[] } }) => e.resource.agent ?? []);
    const systemAgents = agents.filter((a: { who?: { identifier?: { value?: string } } }) => a.who?.identifier?.value === 'lab-feeder');
    expect(systemAgents.filter((a: { who?: { reference?: string } }) => a.who?.reference === 'Practitioner/gp')).toEqual([]);
  });
});

describe('held: other spellings of a professional\'s identifier give exactly his rights', () => {
  it('8-prefixed, IdNat_PS and padded RPPS read as the specialist; the blocked one stays blocked in every spelling', async () => {
    for (const claims of [professional(`8${RPPS.spec}`), { dmp_kind: 'practitioner', idnat_ps: `8${RPPS.spec}`, scope: 'user/*.cruds' }, professional(` ${RPPS.spec} `)]) {
      expect(await documentsSeen(claims)).toEqual(['d1', 'd4', 'd5']);
    }
    for (const rpps of [RPPS.blocked, `8${RPPS.blocked}`, `0${RPPS.blocked}`]) expect(await documentsSeen(professional(rpps))).toEqual([]);
  });
});

describe('held: a patient or guardian token claiming a second record gets only its own', () => {
  it('an array of patients, a launch context naming another patient, a guardian naming another child', async () => {
    expect(await documentsSeen({ dmp_kind: 'patient', patient: ['p1', 'p2'], scope: 'patient/*.cruds' })).toEqual([]);
    expect(await documentsSeen({ dmp_kind: 'patient', patient: 'p1', fhirUser: 'Patient/p1', launch_patient: 'p2', scope: 'patient/*.cruds' })).not.toContain('e1');
    const guardian = async (claims: Record<string, unknown>) => {
      const res = await raw(await tokenWith({ dmp_kind: 'guardian', fhirUser: 'RelatedPerson/rp1', scope: 'patient/*.cruds', ...claims }, 'rp1'), 'GET', '/DocumentReference/e1');
      return res.status;
    };
    expect(await guardian({ launch_patient: 'p2' })).toBe(404);
    expect(await guardian({ patient: 'p2' })).toBe(404);
  });
});

describe('held: an INS in another spelling names nobody', () => {
  it('a patient token whose INS is spaced out, prefixed with its system or carries a wrong key is refused (401)', async () => {
    for (const ins of ['2 79 03 51 215 189 89', 'urn:oid:1.2.250.1.213.1.4.8|279035121518989', '279035121518988', '2790351215189']) {
      expect([ins, await documentsSeen({ dmp_kind: 'patient', ins, scope: 'patient/*.cruds' })]).toEqual([ins, 401]);
    }
    // The INS as written reads the patient's own record, and only it.
    expect(await documentsSeen({ dmp_kind: 'patient', ins: '279035121518989', scope: 'patient/*.cruds' })).toEqual(['d1', 'd2', 'd3', 'd5']);
  });
});
