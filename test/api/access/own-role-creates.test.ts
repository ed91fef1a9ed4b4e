import { RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11, the directory: a professional adds his own roles (README "The directory cannot grant access"). A plain
// `POST /PractitionerRole` — what an application sends to declare its user's role, at every launch — added one more
// identical role each time, and the patient's pages listed the professional's role as many times. It is now the
// conditional create it means, matched on practitioner (his national identifier, in any spelling) + organisation +
// codes: the same role answers 200 naming the existing one, unchanged; another role is created (201). Others' roles stay
// refused (403), and nothing here lets a non-administrator edit an entry.

const { call } = useSweepServer('dmp-own-roles-');
const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
const PROFESSION = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
const SPECIALTY = 'https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale';

const role = (o: { practitioner?: object; organization?: string; code?: string; telecom?: string } = {}) => ({
  resourceType: 'PractitionerRole',
  practitioner: o.practitioner ?? { reference: 'Practitioner/spec', identifier: { system: IDNAT, value: `8${RPPS.spec}` } },
  organization: { reference: o.organization ?? 'Organization/org1' },
  code: [{ coding: [{ system: PROFESSION, code: o.code ?? '10' }] }],
  ...(o.telecom ? { telecom: [{ system: 'phone', value: o.telecom }] } : {}),
});

const specRoles = async (): Promise<string[]> => {
  const res = await call('spec', 'GET', '/PractitionerRole?practitioner=Practitioner/spec&_count=50');
  return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
};

it("a professional's plain role create names the existing role (200, unchanged) when he already holds it; another role is created", async () => {
  const first = await call('spec', 'POST', '/PractitionerRole', role());
  expect(first.status).toBe(201);
  const id = first.body.id as string;

  // The same role again, and in the other spelling of his RPPS (with a phone the existing role does not get).
  for (const body of [role(), role({ practitioner: { reference: 'Practitioner/spec', identifier: { system: RPPS_SYSTEM, value: RPPS.spec } }, telecom: '0102030405' })]) {
    const again = await call('spec', 'POST', '/PractitionerRole', body);
    expect([again.status, again.body.id, again.headers.get('location')]).toEqual([200, id, expect.stringContaining(`/PractitionerRole/${id}/_history/1`)]);
    expect(again.body.telecom).toBeUndefined();
  }
  expect(await specRoles()).toEqual([id]);
  // Still a create: a token that may not create gets 403, not the existing role.
  const readOnly = await call({ kind: 'practitioner', id: RPPS.spec, scope: 'user/*.rs' }, 'POST', '/PractitionerRole', role());
  expect(readOnly.status).toBe(403);

  // Another set of codes is another role.
  const other = await call('spec', 'POST', '/PractitionerRole', { ...role(), code: [{ coding: [{ system: PROFESSION, code: '10' }, { system: SPECIALTY, code: 'SM26' }] }] });
  expect(other.status).toBe(201);
  expect(other.body.id).not.toBe(id);
  expect((await specRoles()).length).toBe(2);

  // Someone else's role is still refused, whether or not he holds the same one: nothing is named to the caller.
  const foreign = await call('unauth', 'POST', '/PractitionerRole', role());
  expect(foreign.status).toBe(403);
  expect(foreign.text).not.toContain(id);
});

describe('in a Bundle, the same rule', () => {
  // Found: the rule held for a plain POST and a batch's entry, not a transaction's (its id is drawn before any entry
  // runs, and other entries' references name it): an application declaring its user's role in a transaction added one
  // more identical role each time. Rule: the transaction gives the entry the existing role's id when its ids are
  // drawn, so the entry answers 200 naming it and every reference to the entry names it too.
  const bodyOf = (res: { body: { entry: { response: { status: string; location?: string } }[] } }) => res.body.entry.map((e) => [e.response.status.split(' ')[0], e.response.location?.replace(/^.*\/PractitionerRole\/([^/]+)\/.*$/, '$1')]);
  const roleEntry = (fullUrl: string, code: string) => ({ fullUrl, request: { method: 'POST', url: 'PractitionerRole' }, resource: role({ code }) });

  it('a transaction entry creating a role he already holds names it (200), with every reference to the entry', async () => {
    const held = await call('spec', 'POST', '/PractitionerRole', role({ code: '21' }));
    expect(held.status).toBe(201);
    const before = await specRoles();
    const observation = {
      fullUrl: 'urn:uuid:2f9d0c1e-0000-4000-8000-000000000002', request: { method: 'POST', url: 'Observation' },
      resource: { resourceType: 'Observation', status: 'final', code: { text: 'tension' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'urn:uuid:2f9d0c1e-0000-4000-8000-000000000001' }] },
    };
    const res = await call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [roleEntry('urn:uuid:2f9d0c1e-0000-4000-8000-000000000001', '21'), observation] });
    expect(res.status).toBe(200);
    expect(bodyOf(res)[0]).toEqual(['200', held.body.id]);
    expect(await specRoles()).toEqual(before);
    const stored = await call('spec', 'GET', res.body.entry[1].response.location.replace(/^.*\/(Observation\/[^/]+)\/.*$/, '/$1'));
    expect(stored.body.performer).toEqual([{ reference: `PractitionerRole/${held.body.id}` }]);
  });

  it('two entries of one transaction creating the same new role make one role (201, then 200 naming it)', async () => {
    const before = await specRoles();
    const res = await call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [roleEntry('urn:uuid:2f9d0c1e-0000-4000-8000-000000000003', '22'), roleEntry('urn:uuid:2f9d0c1e-0000-4000-8000-000000000004', '22')] });
    expect(res.status).toBe(200);
    const [[firstStatus, firstId], [secondStatus, secondId]] = bodyOf(res);
    expect([firstStatus, secondStatus, secondId]).toEqual(['201', '200', firstId]);
    expect((await specRoles()).length).toBe(before.length + 1);
  });

  it('a batch entry creating a role he already holds names it (200)', async () => {
    const held = await call('spec', 'POST', '/PractitionerRole', role({ code: '23' }));
    expect(held.status).toBe(201);
    const before = await specRoles();
    const res = await call('spec', 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [roleEntry('urn:uuid:2f9d0c1e-0000-4000-8000-000000000005', '23')] });
    expect(bodyOf(res)).toEqual([['200', held.body.id]]);
    expect(await specRoles()).toEqual(before);
  });

  it('someone else\'s role in a transaction is still refused (403), naming nothing', async () => {
    const res = await call('unauth', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [roleEntry('urn:uuid:2f9d0c1e-0000-4000-8000-000000000006', '21')] });
    expect(res.status).toBe(403);
  });
});
