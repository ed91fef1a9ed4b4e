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
