import type { Consent } from '@medplum/fhirtypes';
import { buildConsent } from '../../support/consent';
import { IDNAT, SPEC_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Rule (src/access/README.md, "Consents without effect"): a Consent stored before attack sweep 8 naming a professional
// or a document in a form no rule can match (an OID in capitals, an absolute URL, a reference with a trailing space)
// blocks or masks nothing; one that opens the record or authorises a professional with a narrowing, or that is another
// kind of consent, grants nothing (migration 215). The patient's access page does not list it as a block he would believe in force: it lists
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
    // Narrowed grants (migration 215 removed them): an authorisation "for laboratory results only", a research consent
    // authorising, an opening limited to a period. They grant nothing, so they are no authorisation he would believe in.
    buildConsent('narrowed-permit', 'helene', { type: 'permit', actor: [{ role: IRCP, reference: { identifier: { system: IDNAT, value: `8${SPEC_RPPS}` } } }], class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] } as NonNullable<Consent['provision']>),
    { ...buildConsent('research-permit', 'helene', { type: 'permit', actor: [{ role: IRCP, reference: { identifier: { system: IDNAT, value: '810000000777' } } }] } as NonNullable<Consent['provision']>), scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] } },
    buildConsent('narrowed-opening', 'helene', { type: 'permit', period: { start: '2000-01-01', end: '2001-01-01' } } as NonNullable<Consent['provision']>),
    // A narrowed block still blocks (wider than asked): it stays among the blocks.
    buildConsent('narrowed-block', 'helene', { type: 'deny', actor: [{ role: IRCP, reference: { identifier: { system: IDNAT, value: '810000000888' } } }], class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] } as NonNullable<Consent['provision']>),
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
  for (const id of ['capital-oid', 'spaced-mask', 'narrowed-permit', 'research-permit', 'narrowed-opening']) expect(page.html).toContain(`name="consent" value="${id}"><button type="submit" class="secondary">Retirer ce choix sans effet`);
});

test('an opening or an authorisation that grants nothing is listed as without effect, never as an authorisation', async () => {
  const text = textOf((await s.page(cookie, '/portal/access')).html);
  const withoutEffect = text.slice(text.indexOf('Choix sans effet'), text.indexOf('Accès en urgence'));
  expect(withoutEffect).toContain(`Autorisation de « 8${SPEC_RPPS} »`);
  expect(withoutEffect).toContain('Autorisation de « 810000000777 »');
  expect(withoutEffect).toContain('Ouverture de votre dossier');
  expect(withoutEffect).not.toContain('810000000888');
  const permitted = text.slice(text.indexOf('Professionnels autorisés'), text.indexOf('Professionnels bloqués'));
  expect(permitted).not.toContain('ROCHE');
  expect(permitted).not.toContain('810000000777');
});

test('withdrawing one takes it off the page', async () => {
  expect((await s.post(cookie, '/portal/access/withdraw', { csrf: 'test-csrf-token', consent: 'capital-oid' })).status).toBe(303);
  const text = textOf((await s.page(cookie, '/portal/access')).html);
  expect(text).not.toContain(`Blocage de « 8${SPEC_RPPS} »`);
  expect(text).toContain('Masquage du document « DocumentReference/some-doc »');
});
