import type { Consent } from '@medplum/fhirtypes';
import type { MintOptions } from '../../../src/auth/mint-token';
import { byRpps, consent, systemContext } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, eighth sweep, family "a Consent read wider than written". Rule (src/access/README.md, "The
// Consent coding"; STYLE "access filters fail closed"): a provision's rules are exactly what the access tables enforce
// — an authorisation covers the whole record but masked documents. A provision that narrows what it covers (a kind of
// resource, a code, a label, the dates of the data, an action other than access, a purpose other than care, a period on
// an opening) cannot be enforced, so it is refused (422 naming the element) instead of being read as the whole record:
// before, "Dr X, for laboratory results only" gave Dr X every document of the record, and an opening "until 2001" opened
// the record for good. Fixture: p1 open (d1 an ordinary document), p3 never opened.

const { run, call } = useSweepServer('dmp-sweep8-consent-');
const practitioner = (rpps: string): MintOptions => ({ kind: 'practitioner', id: rpps });
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const CONSENT_ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';

/** A Consent of p1 authorising `rpps`, with `extra` in its provision (no id: the server draws it). */
function permitOf(rpps: string, extra: Record<string, unknown>): Consent {
  const { id, ...body } = consent('x', 'p1', { type: 'permit', actor: [byRpps(rpps)], ...extra } as NonNullable<Consent['provision']>);
  void id;
  return body as Consent;
}

/** What a professional reads of p1: document d1 and the count of its Observations. */
async function readsOfP1(who: MintOptions): Promise<[number, number | undefined]> {
  const doc = await call(who, 'GET', '/DocumentReference/d1');
  const count = await call(who, 'GET', '/Observation?patient=Patient/p1&_summary=count');
  return [doc.status, count.body?.total];
}

const NARROWINGS: [label: string, element: string, extra: Record<string, unknown>][] = [
  ['laboratory results only (class)', 'provision.class', { class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] }],
  ['one kind of document (code)', 'provision.code', { code: [{ coding: [{ system: 'http://loinc.org', code: '11502-2' }] }] }],
  ['ordinary confidentiality only (securityLabel)', 'provision.securityLabel', { securityLabel: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }],
  ['data from 2030 on (dataPeriod)', 'provision.dataPeriod', { dataPeriod: { start: '2030-01-01' } }],
  ['collecting only (action)', 'provision.action', { action: [{ coding: [{ system: CONSENT_ACTION, code: 'collect' }] }] }],
  ['for research (purpose)', 'provision.purpose', { purpose: [{ system: ACT_REASON, code: 'HRESCH' }] }],
  ['a nested provision narrowing the permit', 'provision.class', { provision: [{ type: 'permit', actor: [byRpps('10000000130')], class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] }] }],
];

describe('a Consent provision narrowing what it covers is refused, never read as the whole record', () => {
  for (const [n, [label, element, extra]] of NARROWINGS.entries()) {
    it(`an authorisation ${label}: 422 naming ${element}, the professional reads nothing`, async () => {
      const rpps = `1000000012${n}`;
      const write = await call('patient', 'POST', '/Consent', permitOf(rpps, extra));
      expect(write.status).toBe(422);
      expect(write.body.resourceType).toBe('OperationOutcome');
      expect(write.text).toContain(element);
      // In a transaction too: nothing written.
      const tx = await call('patient', 'POST', '/', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Consent' }, resource: permitOf(rpps, extra) }] });
      expect(tx.status).toBe(422);
      expect(await readsOfP1(practitioner(rpps))).toEqual([404, 0]);
      if (label.startsWith('a nested')) expect(await readsOfP1(practitioner('10000000130'))).toEqual([404, 0]);
    });
  }

  // A Consent about something else than the DMP's privacy rules, or naming its professional in another role.
  const OTHER_CONSENTS: [label: string, element: string, change: (c: Consent) => Consent][] = [
    ['a research consent (scope research)', 'Consent.scope', (c) => ({ ...c, scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] } })],
    ['a consent of another category', 'Consent.category', (c) => ({ ...c, category: [{ coding: [{ system: 'http://loinc.org', code: '57016-8' }] }] })],
    ['an opt-out policy', 'Consent.policyRule', (c) => ({ ...c, policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] } })],
    ['the professional as author, not recipient', 'provision.actor.role', (c) => ({ ...c, provision: { ...c.provision!, actor: [{ ...c.provision!.actor![0], role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'AUT' }] } }] } })],
  ];
  for (const [n, [label, element, change]] of OTHER_CONSENTS.entries()) {
    it(`${label} permitting a professional: 422 naming ${element}, he reads nothing`, async () => {
      const rpps = `1000000019${n}`;
      const write = await call('patient', 'POST', '/Consent', change(permitOf(rpps, {})));
      expect(write.status).toBe(422);
      expect(write.text).toContain(element);
      expect(await readsOfP1(practitioner(rpps))).toEqual([404, 0]);
    });
  }

  it('an opening limited to a period that ended is refused (422): the record stays unopened for the SAMU regulator', async () => {
    const { id, ...opening } = consent('x', 'p3', { type: 'permit', period: { start: '2000-01-01', end: '2001-01-01' } } as NonNullable<Consent['provision']>);
    void id;
    const write = await call({ kind: 'patient', id: 'p3' }, 'POST', '/Consent', opening);
    expect(write.status).toBe(422);
    expect(write.text).toContain('provision.period');
    expect((await call('samu', 'GET', '/Patient/p3')).status).toBe(404);
  });

  it('a period around nested authorisations is refused (422): each authorisation states its own', async () => {
    const body = permitOf('10000000140', { period: { start: '2000-01-01', end: '2001-01-01' }, provision: [{ type: 'permit', actor: [byRpps('10000000141')] }] });
    const write = await call('patient', 'POST', '/Consent', body);
    expect(write.status).toBe(422);
    expect(await readsOfP1(practitioner('10000000141'))).toEqual([404, 0]);
  });

  it('an authorisation for care, with action access and a period, still authorises (the comparison can fail)', async () => {
    const body = permitOf('10000000150', {
      period: { start: '2020-01-01' },
      purpose: [{ system: ACT_REASON, code: 'TREAT' }],
      action: [{ coding: [{ system: CONSENT_ACTION, code: 'access' }] }],
    });
    expect((await call('patient', 'POST', '/Consent', body)).status).toBe(201);
    const [doc, count] = await readsOfP1(practitioner('10000000150'));
    expect(doc).toBe(200);
    expect(count).toBeGreaterThan(0);
  });

  it('a narrowed authorisation stored before the rule grants nothing once re-derived, and the patient can still withdraw it', async () => {
    // Written as the server writes (no rule weighed), as a Consent stored before this change would be.
    const stored = { ...permitOf('10000000160', NARROWINGS[0][2]), id: 'narrowed-before' } as Consent;
    await run.server.service.repo.update(systemContext(), stored);
    expect(await readsOfP1(practitioner('10000000160'))).toEqual([404, 0]);
    const withdrawn = await call('patient', 'PUT', '/Consent/narrowed-before', { ...stored, status: 'inactive' });
    expect(withdrawn.status).toBe(200);
  });
});
