import { RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, sweep 7, the directory, over HTTP on the production composition.
// Rule (issue 11: "directory entries are written only by the importer and by a directory administrator role"): a
// PractitionerRole says as what and where a professional works, and the patient's pages show it beside his name. The
// import keeps the roles a document names inside the document (contained); a feeding system's token adds no free-standing
// PractitionerRole. Found: any feeder attached « Médecin du travail » at an organisation of its choosing to the treating
// physician's entry (sweep 6b had closed it to practitioners only).

const { call } = useSweepServer('dmp-sweep7-dir-');
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
