import type { Patient } from '@medplum/fhirtypes';
import { assertContactPointsKept, CONFIRMED_CONTACT_STATE } from '../../../src/access/contact-points';
import { RequestState } from '../../../src/fhir/request-state';
import type { DmpActor } from '../../../src/access/actor';
import type { RequestContext, WriteEvent } from '../../../src/fhir/context';
import { FALSE } from '../../../src/store/sql';

const patient: DmpActor = { kind: 'patient', id: 'p1', scopes: [], keys: [], patientIds: ['p1'] };
const gp: DmpActor = { kind: 'practitioner', id: '10000000001', scopes: [], keys: [], patientIds: [] };
const ctx = (confirmed?: string): RequestContext => {
  const state = new RequestState();
  if (confirmed) state.set(CONFIRMED_CONTACT_STATE, confirmed);
  return { requestId: 't', access: FALSE, state };
};
const base: Patient = { resourceType: 'Patient', id: 'p1', telecom: [{ system: 'email', value: 'a@example.org' }, { system: 'phone', use: 'home', value: '0140000000' }] };
const update = (next: Patient, interaction: WriteEvent['interaction'] = 'update'): WriteEvent => ({ interaction, resourceType: 'Patient', id: 'p1', versionId: 2, resource: next, previous: base });
const withTelecom = (telecom: Patient['telecom']): Patient => ({ ...base, telecom });

describe('contact points of a record', () => {
  it('refuses a change of e-mail, its rank or its end, and a new mobile, to the patient too', () => {
    for (const telecom of [
      [{ system: 'email' as const, value: 'b@example.org' }],
      [{ system: 'email' as const, value: 'a@example.org', rank: 1 }],
      [{ system: 'email' as const, value: 'a@example.org', period: { end: '2020-01-01' } }],
      [...(base.telecom ?? []), { system: 'phone' as const, use: 'mobile' as const, value: '0611111111' }],
      [...(base.telecom ?? []), { system: 'sms' as const, value: '0611111111' }],
    ]) {
      expect(() => assertContactPointsKept(ctx(), patient, update(withTelecom(telecom)))).toThrow(/\$change-contact/);
      expect(() => assertContactPointsKept(ctx(), gp, update(withTelecom(telecom)))).toThrow(/\$change-contact/);
    }
  });

  it('lets a landline change, the order of telecoms change, and a record be created with its contacts', () => {
    expect(() => assertContactPointsKept(ctx(), gp, update(withTelecom([{ system: 'email', value: 'a@example.org' }, { system: 'phone', use: 'home', value: '0150000000' }])))).not.toThrow();
    expect(() => assertContactPointsKept(ctx(), gp, update(withTelecom([...(base.telecom ?? [])].reverse())))).not.toThrow();
    expect(() => assertContactPointsKept(ctx(), gp, { ...update(withTelecom([{ system: 'email', value: 'x@example.org' }]), 'create'), previous: undefined })).not.toThrow();
  });

  it('lets through only the server write that applies a confirmed change, for that record', () => {
    const next = withTelecom([{ system: 'email', value: 'b@example.org' }]);
    expect(() => assertContactPointsKept(ctx('p1'), patient, update(next))).not.toThrow();
    expect(() => assertContactPointsKept(ctx('p2'), patient, update(next))).toThrow();
  });
});
