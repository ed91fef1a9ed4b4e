import type { Resource } from '@medplum/fhirtypes';
import { parisDay } from '../../../src/access/guardian-rules';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { FAST, PASSWORD, type SmartApp } from '../smart/smart-app';
import { INS_NIR, P2_INS, systemContext } from './fixture';
import { withInsKey } from './ins-values';

// The guardian links of the tests of rights that end (token cut-offs, ends by time): Paul (fixture p2's INS, the SMART
// app's « Paul ») as Jeanne's (p1) parent, and a minor who turns 18 tomorrow (Paris calendar) with Paul as her father and
// her own credentials set while she is a minor.

const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const DAY = 86_400_000;

/** Tomorrow's date in Paris (YYYY-MM-DD). */
export const parisTomorrow = (): string => parisDay(new Date(Date.now() + DAY));

/** Born 18 years before tomorrow (Paris): a minor today, of age from tomorrow's first second. */
export function turning18Tomorrow(): string {
  const tomorrow = parisTomorrow();
  return `${Number(tomorrow.slice(0, 4)) - 18}${tomorrow.slice(4)}`;
}

/** Stores the minor (`id`, a 13-digit INS body), her father's link `guardianId`, and her credentials (login = id). */
export async function seedMinorTurning18(s: SmartApp, o: { id: string; ins13: string; family: string; given: string; guardianId: string }): Promise<void> {
  await s.a.service.repo.update(systemContext(), {
    resourceType: 'Patient', id: o.id, identifier: [{ system: INS_NIR, value: withInsKey(o.ins13) }], name: [{ family: o.family, given: [o.given] }],
    gender: 'female', birthDate: turning18Tomorrow(), telecom: [{ system: 'email', value: `${o.id}@example.org` }],
  } as Resource);
  await s.a.service.repo.update(systemContext(), {
    resourceType: 'RelatedPerson', id: o.guardianId, patient: { reference: `Patient/${o.id}` }, identifier: [{ system: INS_NIR, value: P2_INS }],
    relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }],
  } as Resource);
  await setPatientCredential(s.a.testDb.db, { login: o.id, patientId: o.id, password: PASSWORD, scrypt: FAST });
}

/** Paul's link to Jeanne (rp1: p1 is a minor), with `extra` (a period …); storing it without restores the fixture's. */
export const paulsLinkToJeanne = (extra: object = {}): Resource => ({
  resourceType: 'RelatedPerson', id: 'rp1', patient: { reference: 'Patient/p1' }, identifier: [{ system: INS_NIR, value: P2_INS }],
  relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }], ...extra,
}) as Resource;
