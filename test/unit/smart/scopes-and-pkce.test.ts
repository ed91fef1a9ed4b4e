import { scopesAllow } from '../../../src/access/scopes';
import { isS256Challenge, s256, verifierMatches } from '../../../src/smart/pkce';
import { grantScopes, parseResourceScope } from '../../../src/smart/smart-scopes';
import { describeScope } from '../../../src/smart/consent-screen';

describe('SMART scopes', () => {
  test.each([
    ['patient/*.rs', { context: 'patient', type: '*', permissions: 'rs' }],
    ['patient/Observation.rs?category=laboratory', { context: 'patient', type: 'Observation', permissions: 'rs', query: 'category=laboratory' }],
    ['patient/*.read', { context: 'patient', type: '*', permissions: 'rs' }],
    ['user/DocumentReference.write', { context: 'user', type: 'DocumentReference', permissions: 'cud' }],
    ['system/*.sr', undefined],
    ['patient/*.x', undefined],
    ['openid', undefined],
  ])('parses %s (v1 and v2)', (scope, expected) => {
    expect(parseResourceScope(scope)).toEqual(expected);
  });

  test('grants what was asked ∩ what the client may ∩ what the patient may', () => {
    const client = ['openid', 'fhirUser', 'offline_access', 'patient/*.rs'];
    const patient = ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'patient/*.cruds'];
    expect(grantScopes(['openid', 'launch/patient', 'patient/Observation.rs', 'patient/Condition.cruds', 'user/*.rs', 'launch'], [client, patient], ['patient']))
      .toEqual(['openid', 'patient/Observation.rs']);
    expect(grantScopes(['patient/*.read'], [client, patient], ['patient'])).toEqual(['patient/*.read']);
  });

  test('grants a constrained scope in the enforced grammar, and no other query', () => {
    const lab = 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
    expect(grantScopes([lab, 'patient/Condition.rs?code=44054006'], [['patient/*.rs']], ['patient'])).toEqual([lab, 'patient/Condition.rs?code=44054006']);
    // A constrained allowance covers the very same query only.
    expect(grantScopes(['patient/Observation.rs'], [[lab]], ['patient'])).toEqual([]);
    for (const unsupported of ['patient/Observation.rs?date=ge2020', 'patient/Observation.rs?category:not=laboratory',
      'patient/Observation.rs?subject.name=x', 'patient/*.rs?category=laboratory', 'patient/Observation.read?category=laboratory',
      'patient/Patient.rs?gender=female', 'patient/Observation.rs?colour=red']) {
      expect(grantScopes([unsupported], [['patient/*.cruds']], ['patient'])).toEqual([]);
    }
    // Whole-type checks (operations that cannot narrow rows) do not read part of a type as all of it.
    expect(scopesAllow(['patient/Observation.rs?category=laboratory'], 'r', 'Observation')).toBe(false);
    expect(scopesAllow(['patient/Observation.rs'], 'r', 'Observation')).toBe(true);
  });

  test('tells the patient in French what each scope lets the app do', () => {
    expect(describeScope('patient/*.rs')).toBe('Lire et rechercher toutes les informations de votre dossier');
    expect(describeScope('patient/Observation.rs')).toMatch(/vos résultats d’examens/);
    expect(describeScope('offline_access')).toMatch(/Rester connectée/);
    expect(describeScope('openid')).toBeUndefined();
    expect(describeScope('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory'))
      .toMatch(/vos résultats d’examens.* \(uniquement : category = laboratory\)$/);
    expect(describeScope('patient/Observation.rs?date=ge2020')).toBeUndefined();
  });
});

describe('PKCE S256', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  test('matches the RFC 7636 example', () => {
    expect(s256(verifier)).toBe(challenge);
    expect(isS256Challenge(challenge)).toBe(true);
    expect(verifierMatches(verifier, challenge)).toBe(true);
  });

  test('refuses another verifier, a short one, or the challenge itself (plain)', () => {
    expect(verifierMatches(`${verifier.slice(0, -1)}Y`, challenge)).toBe(false);
    expect(verifierMatches('short', challenge)).toBe(false);
    expect(verifierMatches(challenge, challenge)).toBe(false);
    expect(verifierMatches(undefined, challenge)).toBe(false);
  });
});
