import { claimsToActor } from '../../../src/auth/claims-to-actor';
import { parseScope } from '../../../src/access/scopes';
import { openidConfiguration, smartConfiguration } from '../../../src/smart/discovery';
import { parseTokenArgs } from '../../../src/cli/token';

describe('claims to actor', () => {
  test('reads a patient token carrying an INS as the patient to resolve by INS', () => {
    expect(claimsToActor({ dmp_kind: 'patient', ins: '279035121518989', scope: 'patient/*.rs' })).toMatchObject({ kind: 'patient', ins: '279035121518989', patientIds: [], scopes: ['patient/*.rs'] });
  });
  test('reads a guardian from fhirUser RelatedPerson', () => {
    expect(claimsToActor({ fhirUser: 'RelatedPerson/rp1' })).toMatchObject({ kind: 'guardian', id: 'rp1', keys: ['RelatedPerson/rp1'] });
  });
  test('reads a Pro Santé Connect regulator with a break-glass reason', () => {
    const actor = claimsToActor({ preferred_username: '810000000001', rpps: undefined, idnat_ps: '810000000001', Acces_Regulation_Medicale: 'VRAI', Mode_Acces_Raison: 'coma' });
    expect(actor).toMatchObject({ kind: 'practitioner', role: 'samu-regulator', purposeReason: 'coma' });
    // Every spelling of the RPPS, as the directory's duplicate check counts them (`professionalSpellings`, sweep 7).
    expect(actor.keys).toEqual(['urn:oid:1.2.250.1.71.4.2.1|810000000001', 'urn:oid:1.2.250.1.71.4.2.1|10000000001', 'https://rpps.esante.gouv.fr|10000000001', 'https://rpps.esante.gouv.fr|810000000001']);
  });
  test('reads a system client as a feeder unless its category says otherwise', () => {
    expect(claimsToActor({ client_id: 'lab' }).category).toBe('feeder');
    expect(claimsToActor({ client_id: 'cnam', category: 'assurance-maladie' }).category).toBe('assurance-maladie');
  });
  test('grants the directory-admin role to practitioner and system tokens only', () => {
    expect(claimsToActor({ rpps: '10000000088', role: 'directory-admin' }).role).toBe('directory-admin');
    expect(claimsToActor({ client_id: 'annuaire', role: 'directory-admin' }).role).toBe('directory-admin');
    expect(claimsToActor({ dmp_kind: 'patient', patient: 'p1', role: 'directory-admin' }).role).toBeUndefined();
    expect(claimsToActor({ fhirUser: 'RelatedPerson/rp1', role: 'directory-admin' }).role).toBeUndefined();
  });
  test('rejects a patient token whose INS has a wrong control key, or no key, with 401', () => {
    expect(() => claimsToActor({ dmp_kind: 'patient', ins: '279035121518988' })).toThrow(expect.objectContaining({ status: 401, message: expect.stringMatching(/control key/) }));
    expect(() => claimsToActor({ dmp_kind: 'patient', sub: '2790351215189' })).toThrow(expect.objectContaining({ status: 401 }));
  });
  test('reads the identity-verifier role of a practitioner', () => {
    expect(claimsToActor({ rpps: '10000000088', role: 'identity-verifier' })).toMatchObject({ kind: 'practitioner', role: 'identity-verifier' });
  });
  test('rejects an unknown organisation category with 401', () => {
    expect(() => claimsToActor({ client_id: 'x', category: 'casino' })).toThrow(/category/);
  });
});

describe('token CLI arguments', () => {
  test('reads the identity-verifier role', () => {
    expect(parseTokenArgs(['practitioner', '10000000088', '--role', 'identity-verifier'])).toEqual({ kind: 'practitioner', id: '10000000088', role: 'identity-verifier' });
  });
  test('reads kind, id and every option', () => {
    expect(parseTokenArgs(['practitioner', '10000000001', '--purpose', 'BTG', '--reason', 'chest pain', '--role', 'samu-regulator', '--scope', 'user/*.rs'])).toEqual({
      kind: 'practitioner', id: '10000000001', purpose: 'BTG', reason: 'chest pain', role: 'samu-regulator', scope: 'user/*.rs',
    });
    expect(parseTokenArgs(['system', 'cnam', '--category', 'assurance-maladie'])).toEqual({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
    expect(parseTokenArgs(['system', 'annuaire', '--role', 'directory-admin'])).toEqual({ kind: 'system', id: 'annuaire', role: 'directory-admin' });
  });
  test.each([[[]], [['robot', 'x']], [['patient']], [['patient', 'p1', '--role', 'admin']], [['patient', 'p1', '--category']]])('refuses %j with the usage', (argv) => {
    expect(() => parseTokenArgs(argv as string[])).toThrow(/usage/);
  });
});

describe('smart configuration', () => {
  test('describes the endpoints that work and the permission-v2 scopes', () => {
    const doc = smartConfiguration('https://dmp.example');
    expect(doc).toMatchObject({
      issuer: 'https://dmp.example',
      authorization_endpoint: 'https://dmp.example/auth/authorize',
      token_endpoint: 'https://dmp.example/auth/token',
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(doc.capabilities).toEqual(expect.arrayContaining(['permission-v2', 'launch-standalone', 'sso-openid-connect', 'client-confidential-asymmetric']));
    // Every resource scope listed is one the access decision enforces, constrained ones included.
    const resourceScopes = (doc.scopes_supported as string[]).filter((scope) => scope.includes('/') && scope !== 'launch/patient');
    expect(resourceScopes.filter((scope) => scope.includes('?'))).toHaveLength(1);
    for (const scope of resourceScopes) expect(parseScope(scope)).toBeDefined();
    expect(parseScope(resourceScopes.find((scope) => scope.includes('?'))!)?.constraint).toHaveLength(1);
  });

  test('the OpenID configuration names the same issuer and keys', () => {
    const doc = openidConfiguration('https://dmp.example');
    expect(doc).toMatchObject({ issuer: 'https://dmp.example', jwks_uri: 'https://dmp.example/auth/jwks', id_token_signing_alg_values_supported: ['ES256'] });
  });
});
