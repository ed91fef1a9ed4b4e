import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { source as axeSource } from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { setPatientCredential } from '../../src/auth/patient-login';
import { waitFor } from '../api/audit/server-harness';
import { CHILD_LEA, GP_RPPS, SPEC_RPPS, startPortalServer, type PortalServer } from '../api/portal/portal-harness';
import { SmtpReceiver } from '../unit/notify/receivers';
import { CHROMIUM, hasChromium } from './chromium';

// Issue 15, as a patient does it in a real browser: sign in to the portal through the SMART authorization server with
// identifier, password and the one-time code read from a real SMTP receiver; read the summary and a document;
// authorise a professional then withdraw him; mask a document; find the professional's access, by name, in the
// history; change to her daughter's record and back without typing the password again (the authorization server's
// sign-in session). axe-core runs on every page met, screenshots go to test-results/portal.

const SHOTS = join(__dirname, '../../test-results/portal');
const PASSWORD = 'Vol de nuit au-dessus des Andes 1931';
const run = hasChromium() ? describe : describe.skip;

run('a patient signs in to the portal and manages her record', () => {
  const smtp = new SmtpReceiver();
  let s: PortalServer;
  let browser: Browser;
  let page: Page;
  const docs: Record<string, string> = {};
  const seen: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await smtp.start();
    s = await startPortalServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, NOTIFY_POLL_MS: '100' });
    // Léa, Hélène's daughter: Hélène is offered her record too.
    for (const r of CHILD_LEA) await s.server.service.repo.update(s.systemContext(), r);
    await setPatientCredential(s.testDb.db, { login: 'helene.marchal', patientId: 'helene', password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } });
    const gp = await s.token({ kind: 'practitioner', id: GP_RPPS });
    for (const file of ['cr-bio-thyroid-panel.xml', 'cr-img-thorax.xml']) {
      const res = await s.importCda(gp, file);
      docs[file] = res.body.entry.map((e: any) => e.resource).find((r: any) => r?.resourceType === 'DocumentReference').id;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // bypassCSP only so that axe-core can be injected: no page of the portal or the sign-in allows a script.
    const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
    page = await context.newPage();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await smtp.stop();
  });

  /** axe-core on the current page (no serious or critical violation), and a screenshot named after the step. */
  async function check(name: string): Promise<void> {
    await page.addScriptTag({ content: axeSource });
    const result = (await page.evaluate(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })`)) as { violations: { id: string; impact: string }[] };
    expect({ page: name, violations: result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id) }).toEqual({ page: name, violations: [] });
    await page.screenshot({ path: join(SHOTS, `parcours-${seen.length + 1}-${name}.png`), fullPage: true });
    seen.push(name);
  }

  test('sign-in: identifier and password, then the code sent by e-mail, then the consent screen', async () => {
    await page.goto(`${s.server.url}/portal/`);
    expect(new URL(page.url()).pathname).toBe('/auth/authorize');
    expect(await page.getAttribute('#identifier', 'autocomplete')).toBe('username');
    expect(await page.getAttribute('#password', 'autocomplete')).toBe('current-password');
    await check('connexion');
    const mails = smtp.received.length;
    await page.fill('#identifier', 'helene.marchal');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (!(await page.$('#code'))) throw new Error(`no code page: ${page.url()} ${await page.textContent('body')}`);
    expect(await page.getAttribute('#code', 'autocomplete')).toBe('one-time-code');
    await check('code');
    await waitFor(() => smtp.received.length > mails, 30_000, 'the sign-in code e-mail');
    const mail = smtp.received.slice(mails).find((m) => m.to.includes('helene.marchal@example.org'));
    const code = /\b(\d{6})\b/.exec(Buffer.from((mail?.data ?? '').replace(/=\r?\n/g, ''), 'latin1').toString('utf8'))?.[1];
    expect(code).toMatch(/^\d{6}$/);
    await page.fill('#code', code as string);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    // Her own record is the first choice, checked.
    expect(await page.isChecked('#record-0')).toBe(true);
    await check('choix-du-dossier');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await check('consentement');
    await Promise.all([page.waitForNavigation(), page.click('button[value=allow]')]);
    expect(new URL(page.url()).pathname).toBe('/portal/');
    expect(await page.textContent('h1')).toContain('Synthèse du dossier de HÉLÈNE');
    await check('synthese');
  });

  test('a document opens and reads: its results as a table, its narrative', async () => {
    await page.click('text=Documents');
    await check('documents');
    await page.click("text=Compte rendu d'examens biologiques - bilan thyroïdien");
    expect(await page.textContent('main')).toContain('6,8 m[IU]/L');
    expect(await page.textContent('main')).toContain('élevé');
    await check('document');
  });

  test('a professional authorised then withdrawn; a document masked; his access in the history by name', async () => {
    const spec = await s.token({ kind: 'practitioner', id: SPEC_RPPS });
    await page.click('text=Accès des professionnels');
    await page.fill('#q', 'ROCHE');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Rechercher")')]);
    await check('recherche-professionnel');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Autoriser Dr Paul ROCHE")')]);
    expect(await page.textContent('[role=status]')).toContain('autorisé');
    expect((await s.fhir(spec, 'GET', `/DocumentReference/${docs['cr-img-thorax.xml']}`)).status).toBe(200);
    await check('professionnel-autorise');

    await page.goto(`${s.server.url}/portal/documents/${docs['cr-img-thorax.xml']}`);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Masquer ce document")')]);
    expect(await page.textContent('main')).toContain('Masqué aux professionnels de santé');
    expect((await s.fhir(spec, 'GET', `/DocumentReference/${docs['cr-img-thorax.xml']}`)).status).toBe(404);
    await check('document-masque');

    await page.click('text=Accès des professionnels');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Retirer l’autorisation de Dr Paul ROCHE")')]);
    expect((await s.fhir(spec, 'GET', `/DocumentReference/${docs['cr-bio-thyroid-panel.xml']}`)).status).toBe(404);

    await page.click('text=Historique des accès');
    expect(await page.textContent('main')).toContain('Dr Paul ROCHE — Ophtalmologue a consulté « Compte rendu de radiographie thoracique » — accès normal.');
    await check('historique');
  });

  test('"Changer de dossier" opens her daughter\'s record and hers again, without password or code', async () => {
    const mails = smtp.received.length;
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Changer de dossier")')]);
    expect(new URL(page.url()).pathname).toBe('/auth/authorize');
    expect(await page.$('#password')).toBeNull();
    await page.check('label:has-text("Dossier de Léa MARCHAL")');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await Promise.all([page.waitForNavigation(), page.click('button[value=allow]')]);
    expect(await page.textContent('h1')).toContain('Synthèse du dossier de Léa MARCHAL');
    await check('dossier-enfant');

    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Changer de dossier")')]);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await Promise.all([page.waitForNavigation(), page.click('button[value=allow]')]);
    expect(await page.textContent('h1')).toContain('Synthèse du dossier de HÉLÈNE');
    expect(smtp.received.length).toBe(mails);
  });

  test('sign-out ends the session, and the next sign-in asks the password', async () => {
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Se déconnecter")')]);
    expect(await page.textContent('main')).toContain('Vous êtes déconnecté');
    await page.goto(`${s.server.url}/portal/documents`);
    expect(new URL(page.url()).pathname).toBe('/auth/authorize');
    expect(await page.$('#password')).not.toBeNull();
  });
});
