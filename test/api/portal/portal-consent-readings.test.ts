import type { Consent, DocumentReference } from '@medplum/fhirtypes';
import { buildConsent } from '../../support/consent';
import { IDNAT, SPEC_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Rule (src/access/README.md, "Refusing emergency access in advance" and "Masking a document"): the access page says
// how each choice is read.
// - An emergency refusal stored naming a professional (« Dr ROCHE authorised, but not in break-glass ») refuses nothing
//   since migration 220: its refusal is listed under « Choix sans effet » with why and what to do (block him), while the
//   authorisation stored with it, which still applies, stays among the authorised professionals.
// - A mask nested under an authorisation (« Dr ROCHE authorised, except the echography report ») hides that document from
//   him only: the page says so beside his name, and how to mask it from every professional.

let s: PortalServer;
let cookie: string;
const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };
const roche = { role: IRCP, reference: { identifier: { system: IDNAT, value: `8${SPEC_RPPS}` } } };
const BTG = [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'BTG' }];

const echo: DocumentReference = {
  resourceType: 'DocumentReference', id: 'echo', status: 'current', subject: { reference: 'Patient/helene' },
  description: 'Compte rendu d’échographie', type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('echo').toString('base64') } }],
};

/** The part of the page between two headings. */
const between = (text: string, from: string, to: string): string => text.slice(text.indexOf(from), text.indexOf(to));

beforeAll(async () => {
  s = await startPortalServer();
  cookie = await s.sessionCookie('helene');
  await s.server.service.repo.update(s.systemContext(), echo);
}, 180_000);
afterAll(async () => {
  await s?.close();
});

test('an emergency refusal naming a professional is listed as without effect; his authorisation stays in force', async () => {
  // As stored before writes refused it (the server itself writing, which the write rules do not re-read).
  await s.server.service.repo.update(s.systemContext(), buildConsent('roche-no-btg', 'helene', { type: 'permit', actor: [roche], provision: [{ type: 'deny', purpose: BTG }] } as NonNullable<Consent['provision']>));
  const text = textOf((await s.page(cookie, '/portal/access')).html);
  const withoutEffect = between(text, 'Choix sans effet', 'Accès en urgence');
  expect(withoutEffect).toContain('Refus de l’accès en urgence (« bris de glace ») visant Dr Paul ROCHE — Ophtalmologue — sans effet');
  expect(withoutEffect).toContain('— sans effet. Un refus de l’accès en urgence vaut pour tous les professionnels et ne peut viser une personne ou un document : ce refus ne s’applique à personne.');
  expect(withoutEffect).toContain('L’autorisation de Dr Paul ROCHE — Ophtalmologue enregistrée avec lui s’applique toujours.');
  expect(withoutEffect).toContain('Pour tenir un professionnel à l’écart de votre dossier, même en urgence, bloquez-le ci-dessous');
  expect(between(text, 'Professionnels autorisés', 'Professionnels bloqués')).toContain('Dr Paul ROCHE');
  // Break-glass is still allowed for everyone: the box stays checked.
  expect((await s.page(cookie, '/portal/access')).html).toMatch(/id="em-BTG" name="allow" value="BTG" checked/);
  await s.post(cookie, '/portal/access/withdraw', { csrf: 'test-csrf-token', consent: 'roche-no-btg' });
  expect(textOf((await s.page(cookie, '/portal/access')).html)).not.toContain('Refus de l’accès en urgence');
});

test('a mask nested under an authorisation is shown as hiding the document from that professional only', async () => {
  await s.server.service.repo.update(s.systemContext(), buildConsent('roche-except-echo', 'helene', { type: 'permit', actor: [roche], provision: [{ type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/echo' } }] }] } as NonNullable<Consent['provision']>));
  const permitted = between(textOf((await s.page(cookie, '/portal/access')).html), 'Professionnels autorisés', 'Professionnels bloqués');
  expect(permitted).toContain('Dr Paul ROCHE');
  expect(permitted).toContain('— sauf « Compte rendu d’échographie » : ce document est masqué pour Dr Paul ROCHE — Ophtalmologue seulement ; les autres professionnels que vous avez autorisés le voient. Pour le masquer à tous les professionnels, utilisez « Masquer » sur la page du document.');
});
