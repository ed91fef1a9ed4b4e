import { useAuditFixtureServer } from './audit-fixture-server';
import { p1Trail } from './p1-trail';
import { RPPS } from './fixture';

// Attack sweep 12b, issue 11 "hidden means absent everywhere: notices". p1's d4 is flagged INVISIBLE_PATIENT: she must
// not learn it exists. A professional's first read of her record that showed only d4 (or its Binary, its extraction)
// sent her « X a consulté votre dossier pour la première fois », and a break-glass or SAMU session that read only d4
// its emergency notice — while her trail, rightly, shows nothing of that read: the notice told her of a hidden access.
// An access that shows only what is hidden from her is no first access and no emergency notice; the first one that shows
// her something is, once.
const BTG = '10000000055';
const SAMU = '10000000066';

const { s, tokens } = useAuditFixtureServer({
  p1: { kind: 'patient', id: 'p1' },
  spec: { kind: 'practitioner', id: RPPS.spec },
  gp: { kind: 'practitioner', id: RPPS.gp },
  btg: { kind: 'practitioner', id: BTG, purpose: 'BTG', reason: 'patiente inconsciente' },
  samu: { kind: 'practitioner', id: SAMU, role: 'samu-regulator' },
});
const { noticesAbout } = p1Trail(() => s, () => tokens.p1);

const batch = (...urls: string[]) => ({ resourceType: 'Bundle', type: 'batch', entry: urls.map((url) => ({ request: { method: 'GET', url } })) });

describe('an access showing only a document hidden from the patient notifies nothing', () => {
  it('sends no first-access notice for reads of d4, its Binary and extraction, then one for the first visible read', async () => {
    for (const url of ['/DocumentReference/d4', '/Binary/d4-bin', '/Observation/d4-obs', '/DocumentReference?_id=d4']) {
      expect((await s.fhir(tokens.spec, 'GET', url)).status).toBe(200);
    }
    expect((await s.fhir(tokens.spec, 'POST', '', batch('DocumentReference/d4', 'Observation/d4-obs'))).status).toBe(200);
    expect(await noticesAbout('first-access', RPPS.spec)).toHaveLength(0);
    expect((await s.fhir(tokens.spec, 'GET', '/DocumentReference/d1')).status).toBe(200);
    expect((await s.fhir(tokens.spec, 'GET', '/AllergyIntolerance/a1')).status).toBe(200);
    expect(await noticesAbout('first-access', RPPS.spec)).toHaveLength(1);
  });

  it('still notifies a first access whose answer mixed a hidden document with visible ones', async () => {
    const res = await s.fhir(tokens.gp, 'GET', '/DocumentReference?_id=d1,d4');
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(2);
    expect(await noticesAbout('first-access', RPPS.gp)).toHaveLength(1);
  });

  it('sends no break-glass notice for a session that read only d4, then exactly one when it reads the record', async () => {
    expect((await s.fhir(tokens.btg, 'GET', '/DocumentReference/d4')).status).toBe(200);
    expect((await s.fhir(tokens.btg, 'POST', '', batch('Binary/d4-bin'))).status).toBe(200);
    expect(await noticesAbout('break-glass', BTG)).toHaveLength(0);
    expect(await noticesAbout('first-access', BTG)).toHaveLength(0);
    expect((await s.fhir(tokens.btg, 'POST', '', batch('AllergyIntolerance/a1', 'DocumentReference/d1'))).status).toBe(200);
    expect((await s.fhir(tokens.btg, 'GET', '/Patient/p1/$everything')).status).toBe(200);
    expect(await noticesAbout('break-glass', BTG)).toHaveLength(1);
    expect(await noticesAbout('first-access', BTG)).toHaveLength(0);
  });

  it('sends no SAMU notice for reads of d4 only, then exactly one for $everything', async () => {
    expect((await s.fhir(tokens.samu, 'POST', '', batch('DocumentReference/d4', 'Observation/d4-obs'))).status).toBe(200);
    expect(await noticesAbout('samu-access', SAMU)).toHaveLength(0);
    expect((await s.fhir(tokens.samu, 'GET', '/Patient/p1/$everything')).status).toBe(200);
    expect((await s.fhir(tokens.samu, 'GET', '/Patient/p1')).status).toBe(200);
    expect(await noticesAbout('samu-access', SAMU)).toHaveLength(1);
  });
});
