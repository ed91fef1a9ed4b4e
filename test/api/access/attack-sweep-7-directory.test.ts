import { widestScopes } from '../../../src/access/scopes';
import { RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, sweep 7, the directory, over HTTP on the production composition.
// Rule (issue 11: "directory entries are written only by the importer and by a directory administrator role"): a
// PractitionerRole says as what and where a professional works, and the patient's pages show it beside his name. The
// import keeps the roles a document names inside the document (contained); a feeding system's token adds no free-standing
// PractitionerRole. Found: any feeder attached « Médecin du travail » at an organisation of its choosing to the treating
// physician's entry (sweep 6b had closed it to practitioners only).
// Rule (README "The directory cannot grant access"): one definition of an RPPS number's spellings serves the directory's
// duplicate check and the entries a token is given (`professionalPerson`, `professionalSpellings`). Found: they were two
// near-copies that differed on `RPPS|8<RPPS>` (the IdNat_PS written under the RPPS system): the check took it for another
// 12-digit "RPPS" (refused beside the physician only by accident of its own spellings), the token was not given it, so an
// entry carrying it was nobody's.

const { call, tokenWith, raw } = useSweepServer('dmp-sweep7-dir-');
const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
const diagnostics = (res: { body?: { issue?: { diagnostics?: string }[] } }) => res.body?.issue?.[0]?.diagnostics;

describe('a feeding system adds no PractitionerRole', () => {
  const role = (practitioner: Record<string, unknown>, organization = 'Organization/org1') => ({
    resourceType: 'PractitionerRole', practitioner, code: [{ text: 'Médecin du travail' }], organization: { reference: organization },
  });
  const gpRoles = async (): Promise<string[]> => {
    const res = await call('patient', 'GET', '/PractitionerRole?practitioner=Practitioner/gp');
    return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
  };

  it('a feeder cannot attach a role to the treating physician\'s entry, by reference or by identifier (403)', async () => {
    const attempts = [
      role({ reference: 'Practitioner/gp', identifier: { system: IDNAT, value: `8${RPPS.gp}` } }),
      role({ identifier: { system: RPPS_SYSTEM, value: RPPS.gp } }),
      role({ reference: 'Practitioner/gp', identifier: { system: IDNAT, value: `8${RPPS.gp}` } }, 'Organization/elsewhere'),
    ];
    for (const body of attempts) {
      const res = await call('feeder', 'POST', '/PractitionerRole', body);
      expect([res.status, diagnostics(res)]).toEqual([403, expect.stringMatching(/a feeding system adds no PractitionerRole/)]);
    }
    expect(await gpRoles()).toEqual([]);
  });

  it('nor for a colleague nobody knows yet, nor the Assurance Maladie (403)', async () => {
    for (const who of ['feeder', 'am'] as const) {
      const res = await call(who, 'POST', '/PractitionerRole', role({ identifier: { system: IDNAT, value: '810000000179' } }));
      expect([who, res.status]).toEqual([who, 403]);
    }
  });

  it('a directory administrator\'s system token still adds a role (the comparison can fail)', async () => {
    const res = await call({ kind: 'system', id: 'annuaire', role: 'directory-admin' }, 'POST', '/PractitionerRole', role({ reference: 'Practitioner/gp', identifier: { system: IDNAT, value: `8${RPPS.gp}` } }));
    expect(res.status).toBe(201);
  });

  it('a feeder still adds a Practitioner entry nobody carries yet (the comparison can fail)', async () => {
    const res = await call('feeder', 'POST', '/Practitioner', { resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: '810000000178' }], name: [{ family: 'Neuf' }] });
    expect(res.status).toBe(201);
  });
});

describe('the duplicate check and the token agree on every spelling of an RPPS number', () => {
  it('the IdNat_PS written under the RPPS system is the treating physician again (409 naming Practitioner/gp; held before too)', async () => {
    for (const who of ['unauth', 'feeder'] as const) {
      const res = await call(who, 'POST', '/Practitioner', { resourceType: 'Practitioner', identifier: [{ system: RPPS_SYSTEM, value: `8${RPPS.gp}` }], name: [{ family: 'Imposteur' }] });
      expect([who, res.status, diagnostics(res)]).toEqual([who, 409, expect.stringMatching(/^Practitioner\/gp already carries this national identifier/)]);
    }
  });

  it('an entry added under that spelling is given to the professional\'s token (his fhirUser may name it)', async () => {
    const rpps = '10000000171';
    const created = await call('feeder', 'POST', '/Practitioner', { resourceType: 'Practitioner', identifier: [{ system: RPPS_SYSTEM, value: `8${rpps}` }], name: [{ family: 'Lebon' }] });
    expect(created.status).toBe(201);
    const scope = widestScopes('practitioner').join(' ');
    const own = await tokenWith({ dmp_kind: 'practitioner', rpps, fhirUser: `Practitioner/${created.body.id}`, scope });
    const read = await raw(own, 'GET', `/Practitioner/${created.body.id}`);
    expect([read.status, read.body?.id]).toEqual([200, created.body.id]);
    // Another professional naming it is still refused: the entry is one person's.
    const other = await tokenWith({ dmp_kind: 'practitioner', rpps: '10000000172', fhirUser: `Practitioner/${created.body.id}`, scope });
    expect((await raw(other, 'GET', `/Practitioner/${created.body.id}`)).status).toBe(401);
  });
});
