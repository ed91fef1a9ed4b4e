import { RPPS } from './fixture';
import { useSweepServer, type Who } from './sweep-4';

// Issue 11's outside check, sweep 6b, family 3 (the directory), over HTTP on the production composition.
// Rule (README "The directory cannot grant access"): a feeder or practitioner adds a Practitioner only when no live
// entry carries its national identifier yet, "in any spelling" — 409 naming the entry. An RPPS number is written
// `urn:oid:1.2.250.1.71.4.2.1|8<RPPS>`, `https://rpps.esante.gouv.fr|<RPPS>`, and also bare under the IdNat_PS OID,
// a spelling the server gives every token carrying that RPPS. Found: the duplicate check knew only the first two, so an
// unauthorised practitioner (or a feeder) added a second entry for the treating physician under a name of his choosing,
// and the physician's token was given that entry (as his own: his trail entries and the patient's pages may name it).
// Rule (issue 11: "a practitioner may not edit others' entries"): a PractitionerRole says as what and where a
// professional works — the patient's pages show it beside his name. Found: any practitioner created one for the
// treating physician's entry (« Médecin du travail », at an organisation he had just added): the patient read that her
// physician works for an occupational health centre. A professional now adds his own roles only.

const { call } = useSweepServer('dmp-sweep6b-dir-');
const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
const entry = (...identifier: { system: string; value: string }[]) => ({ resourceType: 'Practitioner', identifier, name: [{ family: 'Imposteur', given: ['Faux'] }] });

describe('one entry per professional, whatever the spelling of his RPPS', () => {
  const attackers: Who[] = ['unauth', 'feeder', 'spec'];
  for (const who of attackers) {
    it(`${who} cannot add the treating physician again under his bare RPPS with the IdNat_PS OID (409 naming Practitioner/gp)`, async () => {
      const res = await call(who, 'POST', '/Practitioner', entry({ system: IDNAT, value: RPPS.gp }));
      expect([res.status, res.body?.issue?.[0]?.diagnostics]).toEqual([409, expect.stringMatching(/^Practitioner\/gp already carries this national identifier/)]);
      // Nothing was added: the physician's identifiers, in every spelling, find his one entry.
      for (const spelling of [`${IDNAT}|${RPPS.gp}`, `${IDNAT}|8${RPPS.gp}`, `${RPPS_SYSTEM}|${RPPS.gp}`]) {
        const found = await call('gp', 'GET', `/Practitioner?identifier=${encodeURIComponent(spelling)}`);
        expect([spelling, found.body.entry?.map((e: { resource: { id: string } }) => e.resource.id) ?? []]).toEqual([spelling, spelling.endsWith(`|8${RPPS.gp}`) ? ['gp'] : []]);
      }
    });
  }

  it('a colleague added under the bare spelling is the same person in the two other spellings (409 both ways)', async () => {
    const first = await call('unauth', 'POST', '/Practitioner', entry({ system: IDNAT, value: '10000000072' }));
    expect(first.status).toBe(201);
    for (const identifier of [{ system: IDNAT, value: '810000000072' }, { system: RPPS_SYSTEM, value: '10000000072' }]) {
      const again = await call('feeder', 'POST', '/Practitioner', entry(identifier));
      expect([identifier.system, again.status, again.body?.issue?.[0]?.diagnostics]).toEqual([identifier.system, 409, `Practitioner/${first.body.id} already carries this national identifier: use it (or ask a directory administrator to correct it)`]);
    }
  });

  it('an entry carrying one person in two spellings, the bare one included, is still one person (the comparison can fail)', async () => {
    const res = await call('unauth', 'POST', '/Practitioner', entry({ system: IDNAT, value: '810000000073' }, { system: IDNAT, value: '10000000073' }));
    expect(res.status).toBe(201);
  });

  it('an entry naming himself and, in the bare spelling, the treating physician names two people (422)', async () => {
    const res = await call('unauth', 'POST', '/Practitioner', entry({ system: IDNAT, value: '810000000077' }, { system: IDNAT, value: RPPS.gp }));
    expect([res.status, res.body?.issue?.[0]?.diagnostics]).toEqual([422, expect.stringMatching(/names one person, but its national identifiers name 2/)]);
  });
});

describe('a professional adds his own roles only', () => {
  const role = (practitioner: Record<string, unknown>) => ({
    resourceType: 'PractitionerRole', practitioner, code: [{ text: 'Médecin du travail' }], organization: { reference: 'Organization/org1' },
  });
  const gpRoles = async (): Promise<string[]> => {
    const res = await call('patient', 'GET', '/PractitionerRole?practitioner=Practitioner/gp');
    return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
  };

  it('an unauthorised practitioner cannot attach a role to the treating physician\'s entry, by his identifier or his own (403)', async () => {
    const attempts = [
      role({ reference: 'Practitioner/gp', identifier: { system: IDNAT, value: `8${RPPS.gp}` } }),
      role({ reference: 'Practitioner/gp', identifier: { system: IDNAT, value: '810000000077' } }),
      role({ identifier: { system: RPPS_SYSTEM, value: RPPS.gp } }),
    ];
    for (const body of attempts) {
      const res = await call('unauth', 'POST', '/PractitionerRole', body);
      expect([res.status, res.body?.issue?.[0]?.diagnostics]).toEqual([403, expect.stringMatching(/a professional adds his own roles only/)]);
    }
    expect(await gpRoles()).toEqual([]);
  });

  it('the specialist adds his own role, named by his entry (the comparison can fail)', async () => {
    const res = await call('spec', 'POST', '/PractitionerRole', role({ reference: 'Practitioner/spec', identifier: { system: IDNAT, value: `8${RPPS.spec}` } }));
    expect(res.status).toBe(201);
  });
});
