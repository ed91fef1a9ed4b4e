import { byRpps, consent, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11's outside check, third sweep: variants of the listed attack families not covered by the first two sweeps.
// Expected answers come from the rules (src/access/README.md), not from the server's answers.
// Fixture: p3 has never been opened (no opening consent), spec is authorised nowhere there; p1 is open, d2 masked from
// spec, d4 INVISIBLE_PATIENT.

const { send, get } = useFixtureApp({
  spec: { kind: 'practitioner', id: RPPS.spec },
  unauth: { kind: 'practitioner', id: '10000000077' },
  am: { kind: 'system', id: 'cnam', category: 'assurance-maladie' },
  p3: { kind: 'patient', id: 'p3' },
});

const jsonPatch = (who: string, url: string, ops: unknown[]) => send(who, 'patch', url).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops));

describe('family 7: only the patient re-opens a record he opened and withdrew, whatever the form of his opening', () => {
  it('an opening that also authorises a professional (nested provision), once withdrawn, is not re-opened by another professional', async () => {
    // The patient opens his record and authorises the specialist in one Consent: the record is open (spec reads f1).
    const opening = await send('p3', 'post', '/fhir/Consent', { ...consent('x', 'p3', { type: 'permit', provision: [{ type: 'permit', actor: [byRpps(RPPS.spec)] }] } as never), id: undefined });
    expect(opening.status).toBe(201);
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(200);
    // He withdraws it: nobody but him reads the record any more.
    expect((await jsonPatch('p3', `/fhir/Consent/${opening.body.id}`, [{ op: 'replace', path: '/status', value: 'inactive' }])).status).toBe(200);
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(404);
    // A professional, or the Assurance Maladie, recording a bare opening now would re-open it against his will.
    const bare = { ...consent('x', 'p3', { type: 'permit' }), id: undefined };
    for (const who of ['unauth', 'spec', 'am']) {
      const res = await send(who, 'post', '/fhir/Consent', bare);
      expect([who, res.status]).toEqual([who, 403]);
      expect(res.body.issue[0].diagnostics).toMatch(/re-open/);
    }
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(404);
    // The patient himself may.
    expect((await send('p3', 'post', '/fhir/Consent', bare)).status).toBe(201);
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(404);
  });
});
