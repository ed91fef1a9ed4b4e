import { practitionerIdentifierKeys, type DmpActor } from '../../../src/access/actor';
import { widestScopes } from '../../../src/access/scopes';
import { P1_INS, RPPS } from './fixture';

type Options = Partial<DmpActor>;

export function patientActor(patientId: string | undefined, opts: Options = {}): DmpActor {
  return { kind: 'patient', id: patientId ?? opts.ins ?? '', scopes: widestScopes('patient'), keys: [], patientIds: patientId ? [patientId] : [], ...opts };
}
export function guardianActor(relatedPersonId: string): DmpActor {
  return { kind: 'guardian', id: relatedPersonId, scopes: widestScopes('guardian'), keys: [`RelatedPerson/${relatedPersonId}`], patientIds: [] };
}
export function practitionerActor(rpps: string, opts: Options = {}): DmpActor {
  return { kind: 'practitioner', id: rpps, scopes: widestScopes('practitioner'), keys: practitionerIdentifierKeys(rpps), patientIds: [], ...opts };
}
export function systemActor(clientId: string, category: DmpActor['category']): DmpActor {
  return { kind: 'system', id: clientId, category, scopes: widestScopes('system', category), keys: [`system|${clientId}`], patientIds: [] };
}

/** The actors of issue 4's table, by name. */
export const ACTORS: Record<string, DmpActor> = {
  patient: patientActor('p1'),
  'patient by INS': patientActor(undefined, { ins: P1_INS }),
  'patient without an open record': patientActor('p3'),
  'patient who refused emergency access': patientActor('p2'),
  'patient of a closed record': patientActor('p4'),
  guardian: guardianActor('rp1'),
  'treating physician': practitionerActor(RPPS.gp),
  'authorised specialist': practitionerActor(RPPS.spec),
  'unauthorised practitioner': practitionerActor('10000000077'),
  'withdrawn practitioner': practitionerActor(RPPS.other),
  'blocked practitioner': practitionerActor(RPPS.blocked),
  'author of a masked document': practitionerActor(RPPS.author),
  'SAMU regulator': practitionerActor('10000000066', { role: 'samu-regulator' }),
  'break-glass practitioner': practitionerActor('10000000055', { purposeOfUse: 'BTG', purposeReason: 'unconscious patient' }),
  'break-glass without reason': practitionerActor('10000000055', { purposeOfUse: 'BTG' }),
  insurer: practitionerActor('10000000044', { category: 'insurer' }),
  employer: systemActor('acme-hr', 'employer'),
  bank: systemActor('bank', 'bank'),
  'occupational health': practitionerActor('10000000033', { category: 'occupational-health' }),
  'Assurance Maladie': systemActor('cnam', 'assurance-maladie'),
  feeder: systemActor('lab-feeder', 'feeder'),
  'directory administrator': practitionerActor('10000000088', { role: 'directory-admin' }),
};
