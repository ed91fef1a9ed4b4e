import type { Consent } from '@medplum/fhirtypes';
import { buildConsent } from '../../support/consent';
import { IDNAT, SPEC_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Rule (src/access/README.md, "Consents without effect"): a Consent stored before attack sweep 8 naming a professional
// or a document in a form no rule can match (an OID in capitals, an absolute URL, a reference with a trailing space)
// blocks or masks nothing. The patient's access page does not list it as a block he would believe in force: it lists
// it under « Choix sans effet », says in French that it has no effect, and offers to withdraw it so that it can be
// redone. A Consent every target of which is read stays where it was.

let s: PortalServer;
let cookie: string;
const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };

beforeAll(async () => {
  s = await startPortalServer();
  cookie = await s.sessionCookie('helene');
  // As stored before the sweep's rules (written as the server itself, which the write rules do not re-read).
  const stored: Consent[] = [
    buildConsent('capital-oid', 'helene', { type: 'deny', actor: [{ role: IRCP, reference: { identifier: { system: IDNAT.toUpperCase(), value: `8${SPEC_RPPS}` } } }] } as NonNullable<Consent['provision']>),
    buildConsent('spaced-mask', 'helene', { type: 'deny', data: [{ meaning: 'related', reference: { reference: 'DocumentReference/some-doc ' } }] } as NonNullable<Consent['provision']>),
    buildConsent('plain-block', 'helene', { type: 'deny', actor: [{ role: IRCP, reference: { reference: 'Practitioner/gp' } }] } as NonNullable<Consent['provision']>),
  ];
  for (const c of stored) await s.server.service.repo.update(s.systemContext(), c);
}, 180_000);
afterAll(async () => {
  await s?.close();
});

test('a block and a mask that name nothing are listed as without effect, with a way to withdraw them', async () => {
  const page = await s.page(cookie, '/portal/access');
  const text = textOf(page.html);
  expect(text).toMatch(/Choix sans effet Ces choix ont été enregistrés sous une forme que le DMP ne sait pas appliquer/);
  expect(text).toContain(`Blocage de « 8${SPEC_RPPS} »`);
  expect(text).toContain('Masquage du document « DocumentReference/some-doc »');
  // Not shown as a block in force; the readable one is.
  const blocked = text.slice(text.indexOf('Professionnels bloqués'), text.indexOf('Choix sans effet'));
  expect(blocked).toContain('Dr Claire MARTIN');
  expect(blocked).not.toContain('ROCHE');
  expect(blocked).not.toContain(SPEC_RPPS);
  for (const id of ['capital-oid', 'spaced-mask']) expect(page.html).toContain(`name="consent" value="${id}"><button type="submit" class="secondary">Retirer ce choix sans effet`);
});

test('withdrawing one takes it off the page', async () => {
  expect((await s.post(cookie, '/portal/access/withdraw', { csrf: 'test-csrf-token', consent: 'capital-oid' })).status).toBe(303);
  const text = textOf((await s.page(cookie, '/portal/access')).html);
  expect(text).not.toContain(`Blocage de « 8${SPEC_RPPS} »`);
  expect(text).toContain('Masquage du document « DocumentReference/some-doc »');
});
