import type { Consent } from '@medplum/fhirtypes';
import { buildConsent } from '../../support/consent';
import { IDNAT, SPEC_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Rule (src/access/README.md, "Consents without effect"): a Consent stored before writes refused its shape (422) is
// applied as its stored rules read it, not as written. The patient's access page lists each such provision under
// « Choix sans effet », naming the professional, saying in French how it is read now and what to do, with a way to
// withdraw it: a block of Dr ROCHE whose period ends before it starts (never holds), « Dr ROCHE blocked { permit } »
// (the nested permit opened the record; closed by default, it no longer does: migration 172), a block of Dr ROCHE « for
// research » (blocked for everything), an opening « for » a SNOMED purpose (an opening, no longer), « document masked,
// except for Dr ROCHE » (authorised him on the whole record, no longer).

let s: PortalServer;
let cookie: string;
const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };
const ROCHE = { role: IRCP, reference: { identifier: { system: IDNAT, value: `8${SPEC_RPPS}` } } };
const provision = (p: Record<string, unknown>) => p as NonNullable<Consent['provision']>;

beforeAll(async () => {
  s = await startPortalServer();
  cookie = await s.sessionCookie('helene');
  // As stored before the rules (written as the server itself, which the write rules do not re-read).
  const stored: Consent[] = [
    buildConsent('inverted-block', 'helene', provision({ type: 'deny', actor: [ROCHE], period: { start: '2024-06-01', end: '2020-01-01' } })),
    buildConsent('nested-permit', 'helene', provision({ type: 'deny', actor: [ROCHE], provision: [{ type: 'permit' }] })),
    buildConsent('research-block', 'helene', provision({ type: 'deny', actor: [ROCHE], purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HRESCH' }] })),
    buildConsent('snomed-opening', 'helene', provision({ type: 'permit', purpose: [{ system: 'http://snomed.info/sct', code: '386053000' }] })),
    buildConsent('mask-except', 'helene', provision({ type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/cr-1' } }], provision: [{ type: 'permit', actor: [ROCHE] }] })),
  ];
  for (const c of stored) await s.server.service.repo.update(s.systemContext(), c);
}, 180_000);
afterAll(async () => {
  await s?.close();
});

test('each provision read otherwise than written is listed with how it is read and what to do', async () => {
  const page = await s.page(cookie, '/portal/access');
  const text = textOf(page.html);
  const listed = text.slice(text.indexOf('Choix sans effet'), text.indexOf('Accès en urgence'));
  expect(listed).toContain('Blocage de Dr Paul ROCHE — Ophtalmologue — Ce blocage a une période qui se termine avant de commencer : il ne s’applique jamais.');
  expect(listed).toContain('Blocage de Dr Paul ROCHE — Ophtalmologue — Une autorisation ne visant personne, placée sous le choix d’un professionnel ou d’un document, a été lue un temps comme l’ouverture de votre dossier : elle est désormais sans effet et n’ouvre pas votre dossier. Si votre dossier n’est pas ouvert par un autre choix, les professionnels ne peuvent pas le consulter, même en urgence');
  expect(listed).toContain('Blocage de Dr Paul ROCHE — Ophtalmologue — Ce blocage a été fait pour un usage particulier, que le DMP ne lit pas : le professionnel est bloqué pour tout usage');
  expect(listed).toContain('Ouverture de votre dossier — L’ouverture de votre dossier a été faite pour un usage particulier, que le DMP ne lit pas : lue un temps comme une ouverture pour vous soigner, elle est désormais sans effet.');
  expect(listed).toContain('Masquage du document « DocumentReference/cr-1 » — Cette autorisation, placée sous le masquage d’un document, a été lue un temps comme l’autorisation du professionnel sur tout votre dossier : elle est désormais sans effet, et le document reste masqué pour tous les professionnels.');
  for (const id of ['inverted-block', 'nested-permit', 'research-block', 'snomed-opening', 'mask-except']) expect(page.html).toContain(`name="consent" value="${id}"><button type="submit" class="secondary">Retirer ce choix`);
});

test('withdrawing one takes it off the list', async () => {
  expect((await s.post(cookie, '/portal/access/withdraw', { csrf: 'test-csrf-token', consent: 'inverted-block' })).status).toBe(303);
  const text = textOf((await s.page(cookie, '/portal/access')).html);
  expect(text).not.toContain('il ne s’applique jamais');
  expect(text).toContain('lue un temps comme l’ouverture de votre dossier');
});
