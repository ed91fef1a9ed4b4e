import type { AllowPlan } from '../../../src/access/access-plan';
import { compileAccess } from '../../../src/access/compile-access';
import { decideAccess } from '../../../src/access/decide-access';
import type { Interaction } from '../../../src/fhir/context';
import { ACTORS, practitionerActor } from './actors';

const now = new Date('2026-03-01T12:00:00Z');
const statusOf = (actor: string, interaction: Interaction, type?: string): number => {
  const plan = decideAccess(ACTORS[actor], interaction, type, { now });
  return plan.effect === 'allow' ? 200 : plan.status;
};

const CASES: [string, Interaction, string | undefined, number][] = [
  ['patient', 'read', 'DocumentReference', 200],
  ['patient', 'delete', 'Patient', 403],
  ['patient', 'create', 'AuditEvent', 403],
  ['patient', 'search-type', 'AuditEvent', 200],
  ['guardian', 'update', 'Consent', 200],
  ['treating physician', 'search-type', 'DocumentReference', 200],
  ['treating physician', 'update', 'Consent', 403],
  ['treating physician', 'create', 'Consent', 200],
  ['SAMU regulator', 'search-type', 'Observation', 200],
  ['break-glass practitioner', 'read', 'Binary', 200],
  ['break-glass without reason', 'read', 'Binary', 400],
  ['break-glass without reason', 'search-system', undefined, 400],
  ['insurer', 'read', 'Practitioner', 403],
  ['employer', 'search-type', 'Organization', 403],
  ['bank', 'create', 'DocumentReference', 403],
  ['occupational health', 'history-instance', 'Patient', 403],
  ['Assurance Maladie', 'read', 'DocumentReference', 403],
  ['Assurance Maladie', 'search-type', 'Patient', 403],
  ['Assurance Maladie', 'create', 'DocumentReference', 200],
  ['Assurance Maladie', 'update', 'DocumentReference', 403],
  ['Assurance Maladie', 'delete', 'DocumentReference', 403],
  // The opening consent of a record the Assurance Maladie creates at its counters (issue 12); write-rules.ts narrows it.
  ['Assurance Maladie', 'create', 'Consent', 200],
  ['feeder', 'create', 'DocumentReference', 200],
  ['feeder', 'delete', 'DocumentReference', 403],
  ['feeder', 'create', 'Consent', 403],
  ['feeder', 'search-type', 'Patient', 200],
];

describe('the pure access decision', () => {
  test.each(CASES)('%s %s %s → %i', (actor, interaction, type, status) => {
    expect(statusOf(actor, interaction, type)).toBe(status);
  });

  test('emergency access never extends to writes', () => {
    const plan = decideAccess(ACTORS['break-glass practitioner'], 'create', 'Observation', { now }) as AllowPlan;
    expect(plan.professional?.mode).toBe('treat');
    expect((decideAccess(ACTORS['SAMU regulator'], 'read', 'Observation', { now }) as AllowPlan).professional?.mode).toBe('samu');
  });

  test('scopes bound the interaction and the readable types', () => {
    const narrow = practitionerActor('10000000002', { scopes: ['user/DocumentReference.rs'] });
    expect(decideAccess(narrow, 'create', 'DocumentReference', { now }).effect).toBe('deny');
    expect(decideAccess(narrow, 'read', 'Observation', { now }).effect).toBe('deny');
    const plan = decideAccess(narrow, 'search-system', undefined, { now }) as AllowPlan;
    expect(plan.readableTypes).toEqual(['DocumentReference']);
    expect(compileAccess(plan).toQuery().values).toContainEqual(['DocumentReference']);
  });

  test('a token without scopes may do nothing', () => {
    expect(decideAccess(practitionerActor('10000000002', { scopes: [] }), 'read', 'Patient', { now }).effect).toBe('deny');
  });

  test('compiling fails closed', () => {
    expect(compileAccess({ effect: 'deny', status: 403, reason: 'x' }).toQuery().text).toBe('FALSE');
    expect(compileAccess({ effect: 'allow', interaction: 'read', at: now.toISOString(), directory: false }).toQuery().text).toBe('FALSE');
    const noKeys = practitionerActor('x', { keys: [] });
    expect(compileAccess(decideAccess(noKeys, 'read', 'Patient', { now })).toQuery().text).toContain('r.compartment IS NULL');
    expect(compileAccess(decideAccess(noKeys, 'read', 'Patient', { now })).toQuery().text).not.toContain('access_consent');
  });
});
