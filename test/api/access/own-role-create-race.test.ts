import { RPPS } from './fixture';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11 ("directory entries … never duplicated"), under concurrency, on PostgreSQL. A professional's plain
// `POST /PractitionerRole` of a role he already holds answers 200 naming it (own-role-creates.test.ts). Found: the look-up
// for that role ran before the create's transaction and took no lock, so identical creates sent at the same instant
// (an application declaring its user's role from several tabs or workers at launch) all found nothing and all created:
// the directory held the role several times, and the patient's pages listed it as often. Rule: whatever the
// interleaving, one entry; the first answer is 201 and every other one 200 naming that same entry. A Practitioner's own
// entry, or an Organization, sent at once likewise gives one entry (the others 409 naming it, directory-rules.ts).

const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('own-role create races (PostgreSQL only)', () => {
    console.log('own-role-create-race tests not run: TEST_DATABASE_URL is not set (PGlite runs one statement at a time)');
  });
}

const { call } = useSweepServer('dmp-own-role-race-');
const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
const PROFESSION = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
const SPECIALTY = 'https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale';
const AT_ONCE = 12;

const role = (specialty: string, spelling: 'idnat' | 'rpps' = 'idnat') => ({
  resourceType: 'PractitionerRole',
  practitioner: spelling === 'idnat'
    ? { reference: 'Practitioner/spec', identifier: { system: IDNAT, value: `8${RPPS.spec}` } }
    : { reference: 'Practitioner/spec', identifier: { system: RPPS_SYSTEM, value: RPPS.spec } },
  organization: { reference: 'Organization/org1' },
  code: [{ coding: [{ system: PROFESSION, code: '10' }, { system: SPECIALTY, code: specialty }] }],
});

/** The spec's roles carrying that specialty, as the directory lists them. */
async function rolesWith(specialty: string): Promise<string[]> {
  const res = await call('spec', 'GET', `/PractitionerRole?practitioner=Practitioner/spec&role=${encodeURIComponent(`${SPECIALTY}|${specialty}`)}&_count=100`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
}

/** One 201 and every other answer 200, all naming the one entry the directory holds. */
function expectOneCreated(answers: Answer[], held: string[]): void {
  expect(held).toHaveLength(1);
  expect(answers.map((a) => a.status).sort()).toEqual([...Array(answers.length - 1).fill(200), 201]);
  for (const a of answers) expect([a.body?.id, a.headers.get('location')]).toEqual([held[0], expect.stringContaining(`/PractitionerRole/${held[0]}/_history/1`)]);
}

describePg(`${AT_ONCE} identical PractitionerRole creates of a professional at the same instant`, () => {
  test.each(['SM01', 'SM02', 'SM03'])('the same role (specialty %s) in one spelling: one entry, one 201, the others 200 naming it', async (specialty) => {
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => call('spec', 'POST', '/PractitionerRole', role(specialty))));
    expectOneCreated(answers, await rolesWith(specialty));
  });

  test('the same role in both spellings of his RPPS, alternating: one entry', async () => {
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => call('spec', 'POST', '/PractitionerRole', role('SM04', i % 2 ? 'rpps' : 'idnat'))));
    expectOneCreated(answers, await rolesWith('SM04'));
  });

  test('two different roles sent at once, six times each: one entry of each', async () => {
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => call('spec', 'POST', '/PractitionerRole', role(i % 2 ? 'SM05' : 'SM06'))));
    for (const [specialty, parity] of [['SM05', 1], ['SM06', 0]] as const) {
      expectOneCreated(answers.filter((_, i) => i % 2 === parity), await rolesWith(specialty));
    }
  });
});

describePg(`${AT_ONCE} transactions creating the same role of a professional at the same instant`, () => {
  test('one entry: one transaction creates it (201), every other one\'s entry names it (200)', async () => {
    const bundle = () => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:5a1e0000-0000-4000-8000-000000000001', request: { method: 'POST', url: 'PractitionerRole' }, resource: role('SM07') }] });
    const responses = await Promise.all(Array.from({ length: AT_ONCE }, () => call('spec', 'POST', '', bundle())));
    expect(responses.map((r) => r.status)).toEqual(Array(AT_ONCE).fill(200));
    const held = await rolesWith('SM07');
    expect(held).toHaveLength(1);
    const entries = responses.map((r) => r.body.entry[0].response as { status: string; location: string });
    expect(entries.map((e) => e.status.split(' ')[0]).sort()).toEqual([...Array(AT_ONCE - 1).fill('200'), '201']);
    for (const e of entries) expect(e.location).toContain(`/PractitionerRole/${held[0]}/_history/1`);
  });
});

describePg(`${AT_ONCE} identical creates of a professional's own Practitioner entry at the same instant`, () => {
  test('one entry: one 201, the others 409 naming it', async () => {
    const rpps = '10009999001';
    const entry = { resourceType: 'Practitioner', name: [{ family: 'Lebrun' }], identifier: [{ system: RPPS_SYSTEM, value: rpps }] };
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => call({ kind: 'practitioner', id: rpps }, 'POST', '/Practitioner', entry)));
    const listed = await call('spec', 'GET', `/Practitioner?identifier=${encodeURIComponent(`${RPPS_SYSTEM}|${rpps}`)}`);
    const held = (listed.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
    expect(held).toHaveLength(1);
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(AT_ONCE - 1).fill(409)]);
    expect(answers.find((a) => a.status === 201)?.body.id).toBe(held[0]);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.text).toContain(`Practitioner/${held[0]}`);
  });
});

describePg(`${AT_ONCE} identical creates of an Organization at the same instant`, () => {
  test('one entry: one 201, the others 409 naming it', async () => {
    const finess = '750099991';
    const entry = { resourceType: 'Organization', name: 'Laboratoire des Lilas', identifier: [{ system: 'http://finess.sante.gouv.fr', value: finess }] };
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => call('gp', 'POST', '/Organization', entry)));
    const listed = await call('spec', 'GET', `/Organization?identifier=${encodeURIComponent(`http://finess.sante.gouv.fr|${finess}`)}`);
    const held = (listed.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
    expect(held).toHaveLength(1);
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(AT_ONCE - 1).fill(409)]);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.text).toContain(`Organization/${held[0]}`);
  });
});
