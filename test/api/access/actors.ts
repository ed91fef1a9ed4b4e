import type { MintOptions } from '../../../src/auth/mint-token';
import { FIXTURE, P1_INS, RPPS } from './fixture';

/** How an actor of the table calls: a development token, plus optional break-glass headers. */
export interface TableActor {
  mint: MintOptions;
  headers?: Record<string, string>;
  /** Every request is refused with this status (legal exclusion, malformed break-glass). */
  refused?: 400 | 403;
  /** Rows this actor may see (ids of the fixture). */
  visible: string[];
}

const ids = (compartment: string | null): string[] => FIXTURE.filter((r) => compartmentOf(r.id as string) === compartment).map((r) => r.id as string);

/** Compartment of a fixture row, from its id (the fixture names rows after their record). */
export function compartmentOf(id: string): string | null {
  if (/^(p1|rp1|a1|c1-.*|d\d.*)$/.test(id)) return 'p1';
  if (/^(p2|c2-.*|e1.*)$/.test(id)) return 'p2';
  if (/^(p3|f1.*)$/.test(id)) return 'p3';
  if (/^(p4|c4-.*|g1.*)$/.test(id)) return 'p4';
  return null;
}

export const doc = (d: string): string[] => [d, `${d}-bin`, `${d}-obs`];
const without = (all: string[], ...hidden: string[][]): string[] => all.filter((id) => !hidden.flat().includes(id));
const consents = (all: string[]): string[] => all.filter((id) => /^c\d-/.test(id));

export const DIRECTORY = ids(null);
export const P1 = ids('p1');
export const compartmentIds = ids;
const P1_UNMASKED = without(P1, consents(P1), doc('d2'), doc('d3'));

/** Issue 4's actors, each with what the fixture lets them see. */
export const ACTORS: Record<string, TableActor> = {
  patient: { mint: { kind: 'patient', id: 'p1' }, visible: [...DIRECTORY, ...without(P1, doc('d4'))] },
  'patient signed in with his INS': { mint: { kind: 'patient', id: P1_INS }, visible: [...DIRECTORY, ...without(P1, doc('d4'))] },
  guardian: { mint: { kind: 'guardian', id: 'rp1' }, visible: [...DIRECTORY, ...without(P1, doc('d4'), doc('d5'))] },
  'patient without an open record': { mint: { kind: 'patient', id: 'p3' }, visible: [...DIRECTORY, ...ids('p3')] },
  'patient of a closed record': { mint: { kind: 'patient', id: 'p4' }, visible: [...DIRECTORY, ...ids('p4')] },
  'treating physician': { mint: { kind: 'practitioner', id: RPPS.gp }, visible: [...DIRECTORY, ...without(P1, consents(P1))] },
  'authorised specialist': { mint: { kind: 'practitioner', id: RPPS.spec }, visible: [...DIRECTORY, ...P1_UNMASKED] },
  'unauthorised practitioner': { mint: { kind: 'practitioner', id: '10000000077' }, visible: DIRECTORY },
  'practitioner whose authorisation was withdrawn': { mint: { kind: 'practitioner', id: RPPS.other }, visible: DIRECTORY },
  'blocked practitioner': { mint: { kind: 'practitioner', id: RPPS.blocked }, visible: DIRECTORY },
  'author of a masked document': { mint: { kind: 'practitioner', id: RPPS.author }, visible: [...DIRECTORY, ...doc('d1'), ...doc('d2'), ...doc('d3')] },
  'SAMU regulator': { mint: { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' }, visible: [...DIRECTORY, ...P1_UNMASKED] },
  'break-glass practitioner (token claims)': {
    mint: { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'unconscious patient' },
    visible: [...DIRECTORY, ...P1_UNMASKED],
  },
  'break-glass practitioner (headers)': {
    mint: { kind: 'practitioner', id: '10000000056' },
    headers: { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': encodeURIComponent('détresse respiratoire') },
    visible: [...DIRECTORY, ...P1_UNMASKED],
  },
  'break-glass without a reason': { mint: { kind: 'practitioner', id: '10000000057' }, headers: { 'X-Purpose-Of-Use': 'BTG' }, refused: 400, visible: [] },
  insurer: { mint: { kind: 'practitioner', id: '10000000044', category: 'insurer' }, refused: 403, visible: [] },
  employer: { mint: { kind: 'system', id: 'acme-hr', category: 'employer' }, refused: 403, visible: [] },
  bank: { mint: { kind: 'system', id: 'bank', category: 'bank' }, refused: 403, visible: [] },
  'occupational health': { mint: { kind: 'practitioner', id: '10000000033', category: 'occupational-health' }, refused: 403, visible: [] },
  'Assurance Maladie': { mint: { kind: 'system', id: 'cnam', category: 'assurance-maladie' }, refused: 403, visible: [] },
  // Feeders cannot read (DESIGN §4): not even the identities and contacts of the Patients they submit for.
  feeder: { mint: { kind: 'system', id: 'lab-feeder' }, visible: DIRECTORY },
};

/** Type of a fixture row by id. */
export function typeOf(id: string): string {
  const r = FIXTURE.find((x) => x.id === id);
  if (!r) throw new Error(`no fixture row ${id}`);
  return r.resourceType;
}

/**
 * The fixture's ordinary callers by short name (tokens the server's issuers give them), shared by the attack sweeps:
 * each test names the ones it calls.
 */
export const CALLERS = {
  spec: { kind: 'practitioner', id: RPPS.spec },
  author: { kind: 'practitioner', id: RPPS.author },
  gp: { kind: 'practitioner', id: RPPS.gp },
  blocked: { kind: 'practitioner', id: RPPS.blocked },
  unauth: { kind: 'practitioner', id: '10000000077' },
  patient: { kind: 'patient', id: 'p1' },
  p2: { kind: 'patient', id: 'p2' },
  guardian: { kind: 'guardian', id: 'rp1' },
  feeder: { kind: 'system', id: 'lab-feeder' },
  am: { kind: 'system', id: 'cnam', category: 'assurance-maladie' },
  insurer: { kind: 'practitioner', id: '10000000044', category: 'insurer' },
  samu: { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' },
  labApp: { kind: 'patient', id: 'p1', scope: 'patient/Observation.rs' },
} satisfies Record<string, MintOptions>;
