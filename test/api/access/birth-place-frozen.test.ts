import type { Extension, Patient } from '@medplum/fhirtypes';
import { useAuditFixtureServer } from './audit-fixture-server';
import { BIRTH_PLACE_URL, INSEE_CODE_URL } from '../../../src/documents/birth-place';
import { RPPS } from './fixture';

// Since attack sweep 12 a document is filed only where its birth place's INSEE code agrees with the record's
// (birth-place-identity.test.ts). The code was not frozen as the other identity traits are: a plain PUT or PATCH
// could add, change or remove it, so the patient or a professional could make a record refuse its own documents, or
// clear the trait that kept another person's document out. Rule: on an existing record the birth place's INSEE code
// changes only through the identity procedure (`$update-identity`, parameter `birthPlace`), like the INS and birth date.


const place = (code: string, city: string): Extension => ({
  url: BIRTH_PLACE_URL,
  valueAddress: { city, country: 'FRA', extension: [{ url: INSEE_CODE_URL, valueCoding: { system: 'https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM', code, display: city } }] },
});
const reason = { name: 'reason', valueString: 'Acte de naissance présenté au guichet' };
const correct = (token: string, ...parameter: object[]) => s.fhir(token, 'POST', '/Patient/p1/$update-identity', { resourceType: 'Parameters', parameter });
const p1 = async (): Promise<Patient> => (await s.fhir(tokens.gp, 'GET', '/Patient/p1')).body as Patient;
const codesOf = (p: Patient) => (p.extension ?? []).filter((e) => e.url === BIRTH_PLACE_URL).map((e) => e.valueAddress?.extension?.[0]?.valueCoding?.code);

const { s, tokens } = useAuditFixtureServer({
  gp: { kind: 'practitioner', id: RPPS.gp },
  spec: { kind: 'practitioner', id: RPPS.spec },
  verifier: { kind: 'practitioner', id: '10000000088', role: 'identity-verifier' },
  p1: { kind: 'patient', id: 'p1' },
});

describe('the birth place is an identity trait: it changes only through the identity procedure', () => {
  it('refuses the patient and the treating physician adding a birth place by a plain update (403, nothing written)', async () => {
    const before = await p1();
    for (const who of ['p1', 'gp']) {
      const res = await s.fhir(tokens[who], 'PUT', '/Patient/p1', { ...before, extension: [...(before.extension ?? []), place('51454', 'Reims')] });
      expect([who, res.status]).toEqual([who, 403]);
      expect(res.body.issue[0].diagnostics).toMatch(/birth place \(INSEE code\).*\$update-identity/);
    }
    expect(codesOf(await p1())).toEqual([]);
    expect((await p1()).meta?.versionId).toBe(before.meta?.versionId);
  });

  it('lets the identity verifier set it with `birthPlace`, and refuses one without an INSEE code (422)', async () => {
    const without = await correct(tokens.verifier, { name: 'birthPlace', valueAddress: { city: 'Reims' } }, reason);
    expect(without.status).toBe(422);
    expect(without.body.issue[0].diagnostics).toMatch(/INSEE/);
    const res = await correct(tokens.verifier, { name: 'birthPlace', valueAddress: place('51454', 'Reims').valueAddress }, reason);
    expect(res.status).toBe(200);
    expect(res.body.issue[0].diagnostics).toMatch(/birth place \(INSEE code\)/);
    expect(codesOf(await p1())).toEqual(['51454']);
  });

  it('refuses changing or removing it by PUT or PATCH, whoever asks; other parts of the record still change', async () => {
    const current = await p1();
    const others = (current.extension ?? []).filter((e) => e.url !== BIRTH_PLACE_URL);
    const changed = await s.fhir(tokens.gp, 'PUT', '/Patient/p1', { ...current, extension: [...others, place('13055', 'Marseille')] });
    expect(changed.status).toBe(403);
    const removed = await s.fhir(tokens.p1, 'PUT', '/Patient/p1', { ...current, extension: others.length ? others : undefined });
    expect(removed.status).toBe(403);
    const index = (current.extension ?? []).findIndex((e) => e.url === BIRTH_PLACE_URL);
    const patched = await s.fhir(tokens.spec, 'PATCH', '/Patient/p1', [{ op: 'remove', path: `/extension/${index}` }], { 'content-type': 'application/json-patch+json' });
    expect(patched.status).toBe(403);
    expect(codesOf(await p1())).toEqual(['51454']);
    // A usual address is no identity trait: the patient changes it, the birth place kept.
    const moved = await s.fhir(tokens.p1, 'PUT', '/Patient/p1', { ...current, address: [{ city: 'Lyon', country: 'FRA' }] });
    expect(moved.status).toBe(200);
    expect(codesOf(await p1())).toEqual(['51454']);
  });
});
