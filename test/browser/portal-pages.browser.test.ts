import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { source as axeSource } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/portal/session';
import { GP_RPPS, SPEC_RPPS, startPortalServer, type PortalServer } from '../api/portal/portal-harness';
import { CHROMIUM, hasChromium } from './chromium';

// Issue 15: the patient's web space in a real browser (Debian chromium): every page passes axe-core with no serious
// or critical violation, works on a phone-sized screen and with the keyboard; screenshots go to test-results/portal.

const SHOTS = join(__dirname, '../../test-results/portal');
const LONG_WORD = `Urgence${'e'.repeat(140)}`;
const run = hasChromium() ? describe : describe.skip;

run('the portal in a real browser', () => {
  let s: PortalServer;
  let browser: Browser;
  let context: BrowserContext;
  const docs: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s = await startPortalServer();
    const gp = await s.token({ kind: 'practitioner', id: GP_RPPS });
    for (const file of ['cr-bio-thyroid-panel.xml', 'vsm-synthese-medicale.xml', 'cr-img-thorax.xml']) {
      const res = await s.importCda(gp, file);
      docs[file] = res.body.entry.map((e: any) => e.resource).find((r: any) => r?.resourceType === 'DocumentReference').id;
    }
    await s.fhir(await s.token({ kind: 'practitioner', id: SPEC_RPPS, purposeOfUse: 'BTG' } as any), 'GET', `/DocumentReference/${docs['cr-img-thorax.xml']}`, undefined, { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': 'patiente inconsciente aux urgences' });
    // A reason is one line without link (purpose-reason.ts), but a professional may still type one word of 150 letters,
    // which no phone screen holds: the history page must wrap it, not widen the page (attack sweep 11, left open).
    await s.fhir(await s.token({ kind: 'practitioner', id: SPEC_RPPS, purposeOfUse: 'BTG' } as any), 'GET', `/DocumentReference/${docs['cr-bio-thyroid-panel.xml']}`, undefined, { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': LONG_WORD });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // bypassCSP only so that axe-core can be injected: the pages themselves allow no script.
    context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR', viewport: { width: 390, height: 844 } });
    const cookie = (await s.sessionCookie('helene')).split('=').slice(1).join('=');
    await context.addCookies([{ name: SESSION_COOKIE, value: cookie, url: `${s.server.url}/portal/`, httpOnly: true, sameSite: 'Lax' }]);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  async function axe(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
    await page.addScriptTag({ content: axeSource });
    const result = (await page.evaluate(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })`)) as { violations: { id: string; impact: string; nodes: unknown[] }[] };
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  }

  const pages: [string, () => string][] = [
    ['synthese', () => '/portal/'],
    ['documents', () => '/portal/documents'],
    ['document-biologie', () => `/portal/documents/${docs['cr-bio-thyroid-panel.xml']}`],
    ['acces', () => '/portal/access?q=ROCHE'],
    ['historique', () => '/portal/history'],
    ['ajouter', () => '/portal/add'],
    ['parametres', () => '/portal/settings'],
  ];

  test.each(pages)('%s: no serious or critical accessibility violation, readable on a phone', async (name, path) => {
    const page = await context.newPage();
    const res = await page.goto(`${s.server.url}${path()}`);
    expect(res?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    const violations = await axe(page);
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    // Nothing wider than the phone's screen but tables, which scroll inside their own box.
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    await page.close();
  });

  test('the keyboard reaches the content first (skip link), then every link and button', async () => {
    const page = await context.newPage();
    await page.goto(`${s.server.url}/portal/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Aller au contenu');
    await page.keyboard.press('Enter');
    expect(page.url()).toMatch(/#contenu$/);
    await page.close();
  });

  test('the break-glass access is in the history, by name, with its stated reason', async () => {
    const page = await context.newPage();
    await page.goto(`${s.server.url}/portal/history`);
    const text = await page.textContent('main');
    expect(text).toMatch(/Dr Paul ROCHE — Ophtalmologue a consulté « Compte rendu de radiographie thoracique » — en urgence \(« bris de glace »\), motif indiqué : patiente inconsciente aux urgences\./);
    await page.screenshot({ path: join(SHOTS, 'historique-bris-de-glace.png'), fullPage: true });
    await page.close();
  });
});
