import type { Patient } from '@medplum/fhirtypes';
import { NOTIFY_PREFERENCE_URL } from '../../../src/notify/recipients';
import { waitFor } from '../audit/server-harness';
import { NOTIFY_PREFERENCES_URL } from '../../../src/notify/notice-preferences';
import { sql } from '../../../src/store/sql';
import { SmtpReceiver, WebhookReceiver } from '../../unit/notify/receivers';
import { GP_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Issue 15: what the patient changes from the portal — contacts (with a code sent by real e-mail), notices,
// record closure and reactivation, emergency contact, advance directives and an uploaded PDF.

const smtp = new SmtpReceiver();
const sms = new WebhookReceiver();
let s: PortalServer;
let cookie: string;
let patientToken: string;
const CSRF = 'test-csrf-token';

beforeAll(async () => {
  await smtp.start();
  await sms.start();
  s = await startPortalServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SMS_WEBHOOK_URL: `http://127.0.0.1:${sms.port}/sms`, NOTIFY_POLL_MS: '100' });
  cookie = await s.sessionCookie('helene', CSRF);
  patientToken = await s.token({ kind: 'patient', id: 'helene' });
}, 180_000);
afterAll(async () => {
  await s?.close();
  await smtp.stop();
  await sms.stop();
});

const me = async (): Promise<Patient> => (await s.fhir(patientToken, 'GET', '/Patient/helene')).body;
const mailText = (data: string) => Buffer.from(data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');

test('a new e-mail address is recorded only once the code sent there is given back', async () => {
  const sent = await s.post(cookie, '/portal/settings/contact', { csrf: CSRF, system: 'email', value: 'Helene.Nouvelle@example.org' });
  expect(sent.status).toBe(303);
  expect(sent.location).toBe('/portal/settings?ok=contact-sent');
  expect((await me()).telecom?.map((t) => t.value)).not.toContain('helene.nouvelle@example.org');
  const page = await s.page(cookie, sent.location as string);
  expect(textOf(page.html)).toContain('Un code de confirmation a été envoyé');
  expect(page.html).toContain('autocomplete="one-time-code"');
  await waitFor(() => smtp.received.some((m) => m.to.includes('helene.nouvelle@example.org')), 20_000, 'the confirmation e-mail');
  const code = /\b(\d{6})\b/.exec(mailText(smtp.received.find((m) => m.to.includes('helene.nouvelle@example.org'))!.data))![1];
  const wrong = await s.post(cookie, '/portal/settings/contact/confirm', { csrf: CSRF, code: code === '000000' ? '111111' : '000000' });
  expect(wrong.status).toBeGreaterThanOrEqual(400);
  const confirmed = await s.post(cookie, '/portal/settings/contact/confirm', { csrf: CSRF, code });
  expect(confirmed.location).toBe('/portal/settings?ok=contact-confirmed');
  expect((await me()).telecom?.map((t) => t.value)).toContain('helene.nouvelle@example.org');
});

test('the notice channel chosen in the settings is the one the notifier reads', async () => {
  expect((await s.post(cookie, '/portal/settings/notices', { csrf: CSRF, channel: 'all' })).status).toBe(303);
  expect((await me()).extension?.find((e) => e.url === NOTIFY_PREFERENCE_URL)?.valueCode).toBe('all');
  expect((await s.page(cookie, '/portal/settings')).html).toContain('id="n-all" name="channel" value="all" checked');
  expect((await s.post(cookie, '/portal/settings/notices', { csrf: CSRF, channel: 'pigeon' })).status).toBe(400);
});

test('an emergency contact added from the portal is on the summary', async () => {
  expect((await s.post(cookie, '/portal/add/emergency-contact', { csrf: CSRF, given: 'Jean', family: 'MARCHAL', phone: '06 12 34 56 78', relation: 'Époux' })).status).toBe(303);
  expect(textOf((await s.page(cookie, '/portal/')).html)).toContain('Personnes à prévenir Jean MARCHAL — 06 12 34 56 78');
});

test('advance directives become a document of the patient, readable on its page', async () => {
  const res = await s.post(cookie, '/portal/add/directives', { csrf: CSRF, text: 'Je refuse tout acharnement thérapeutique.' });
  expect(res.status).toBe(303);
  const id = /^\/portal\/documents\/([^?]+)\?ok=added$/.exec(res.location ?? '')?.[1];
  expect(id).toBeDefined();
  const page = textOf((await s.page(cookie, `/portal/documents/${id}`)).html);
  expect(page).toContain('Mes directives anticipées');
  expect(page).toContain('Je refuse tout acharnement thérapeutique.');
  const doc = (await s.fhir(patientToken, 'GET', `/DocumentReference/${id}`)).body;
  expect(doc.type.coding[0]).toEqual(expect.objectContaining({ system: 'http://loinc.org', code: '42348-3' }));
});

test('a PDF uploaded from the portal is filed; a file that is not a PDF or an image is refused', async () => {
  const form = (name: string, bytes: Buffer, csrf = CSRF) => {
    const f = new FormData();
    f.append('csrf', csrf);
    f.append('title', 'Ordonnance de lunettes');
    f.append('file', new Blob([bytes]), name);
    return fetch(`${s.server.url}/portal/add/document`, { method: 'POST', headers: { cookie }, body: f, redirect: 'manual' });
  };
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  const ok = await form('ordonnance.pdf', pdf);
  expect(ok.status).toBe(303);
  const id = /^\/portal\/documents\/([^?]+)\?ok=added$/.exec(ok.headers.get('location') ?? '')?.[1];
  const original = await fetch(`${s.server.url}/portal/documents/${id}/original`, { headers: { cookie } });
  expect(original.headers.get('content-type')).toBe('application/pdf');
  expect(Buffer.from(await original.arrayBuffer()).equals(pdf)).toBe(true);
  expect(textOf((await s.page(cookie, '/portal/documents')).html)).toContain('Ordonnance de lunettes');
  const exe = await form('virus.pdf', Buffer.from('MZ\x90\x00 not a pdf'));
  expect(exe.status).toBe(400);
  expect(textOf(await exe.text())).toContain('Seuls les fichiers PDF, JPEG et PNG sont acceptés.');
  expect((await form('ordonnance.pdf', pdf, 'forged')).status).toBe(403);
});

test('the patient closes his record (with a confirmation) and reactivates it', async () => {
  const unconfirmed = await s.post(cookie, '/portal/settings/close', { csrf: CSRF, reason: 'patient-request' });
  expect(unconfirmed.status).toBe(400);
  expect((await me()).active).not.toBe(false);
  expect((await s.post(cookie, '/portal/settings/close', { csrf: CSRF, reason: 'patient-request', confirm: 'yes' })).status).toBe(303);
  expect((await me()).active).toBe(false);
  expect(textOf((await s.page(cookie, '/portal/settings')).html)).toContain('Votre dossier est fermé.');
  expect((await s.post(cookie, '/portal/settings/reactivate', { csrf: CSRF })).status).toBe(303);
  expect((await me()).active).not.toBe(false);
});

test('the settings show a table of notices by kind and channel, each choice labelled for screen readers', async () => {
  const page = await s.page(cookie, '/portal/settings');
  expect(page.html).toContain('<caption>Notifications par type d’événement');
  expect(page.html).toContain('name="kind-document-added" value="sms" aria-label="Nouveau document : SMS"');
  expect(page.html).not.toContain('id="k-emergency-access-none"');
  expect(textOf(page.html)).toContain('Accès en urgence (SAMU, bris de glace) Toujours prévenu Vie du dossier');
});

test('emergency notices cannot be turned off, and an unknown channel is refused', async () => {
  const off = await s.post(cookie, '/portal/settings/notices/kinds', { csrf: CSRF, 'kind-emergency-access': 'none' });
  expect(off.status).toBe(400);
  expect(textOf(off.html)).toContain('Un accès en urgence à votre dossier vous est toujours signalé');
  expect((await s.post(cookie, '/portal/settings/notices/kinds', { csrf: CSRF, 'kind-document-added': 'pigeon' })).status).toBe(400);
  expect((await s.post(cookie, '/portal/settings/notices/kinds', { csrf: 'forged', 'kind-document-added': 'sms' })).status).toBe(403);
  expect((await me()).extension?.find((e) => e.url === NOTIFY_PREFERENCES_URL)).toBeUndefined();
});

test('a new document is told by the channel chosen for it only (a real SMS webhook and SMTP receiver)', async () => {
  // A mobile number, confirmed with the code sent to it, beside the e-mail address.
  expect((await s.post(cookie, '/portal/settings/contact', { csrf: CSRF, system: 'sms', value: '+33611223344' })).status).toBe(303);
  await waitFor(() => sms.received.some((m) => m.body.to === '+33611223344'), 20_000, 'the confirmation SMS');
  const code = /\b(\d{6})\b/.exec(sms.received.find((m) => m.body.to === '+33611223344')!.body.text)![1];
  expect((await s.post(cookie, '/portal/settings/contact/confirm', { csrf: CSRF, code })).status).toBe(303);

  const chosen = await s.post(cookie, '/portal/settings/notices/kinds', { csrf: CSRF, 'kind-document-added': 'sms', 'kind-first-access': 'email', 'kind-emergency-access': 'all', 'kind-record-life': 'none' });
  expect(chosen.location).toBe('/portal/settings?ok=notices');
  const stored = (await me()).extension?.find((e) => e.url === NOTIFY_PREFERENCES_URL)?.extension;
  expect(stored).toEqual([
    { url: 'document-added', valueCode: 'sms' },
    { url: 'first-access', valueCode: 'email' },
    { url: 'emergency-access', valueCode: 'all' },
    { url: 'record-life', valueCode: 'none' },
  ]);
  expect((await s.page(cookie, '/portal/settings')).html).toContain('id="k-document-added-sms" name="kind-document-added" value="sms" aria-label="Nouveau document : SMS" checked');

  const mailsBefore = smtp.received.length;
  const imported = await s.importCda(await s.token({ kind: 'practitioner', id: GP_RPPS }), 'cr-bio-thyroid-panel.xml');
  expect(imported.status).toBe(201);
  await waitFor(() => sms.received.some((m) => m.body.to === '+33611223344' && m.body.text.includes('nouveau document')), 20_000, 'the document SMS');
  const { rows } = await s.testDb.db.query<{ channel: string; recipient: string }>(sql`SELECT channel, recipient FROM notify_outbox WHERE patient_id = 'helene' AND kind = 'document-added'`);
  expect(rows).toEqual([{ channel: 'sms', recipient: '+33611223344' }]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(smtp.received.slice(mailsBefore).filter((m) => mailText(m.data).includes('nouveau document'))).toEqual([]);
});
