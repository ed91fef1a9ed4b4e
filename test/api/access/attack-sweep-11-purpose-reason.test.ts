import type { MintOptions } from '../../../src/auth/mint-token';
import { sql } from '../../../src/store/sql';
import { startPortalServer, type PortalServer } from '../portal/portal-harness';

// Attack sweep 11, family "data others write, shown to someone else". The reason a professional states for a break-glass
// access is copied into the e-mail or SMS the patient receives ("Motif indiqué : …") and into his access history. Rule
// (src/access/purpose-reason.ts): one line of at most 300 characters, no control, bidi or invisible character, no link;
// else 400 before anything is read, and no notice. Found: a reason carrying a line break and a "Consultez votre dossier :
// https://…" of the professional's choosing was sent by the DMP itself, above the real link.

let s: PortalServer;
let serial = 0;

beforeAll(async () => {
  s = await startPortalServer();
}, 120_000);
afterAll(() => s?.close());

/** A break-glass read of Hélène's record by a professional never seen before (one new RPPS per call). */
async function breakGlass(how: { header?: string; claim?: string }): Promise<{ status: number; rpps: string }> {
  const rpps = `100000005${String(++serial).padStart(2, '0')}`;
  const mint: MintOptions = { kind: 'practitioner', id: rpps, purpose: 'BTG', ...(how.claim !== undefined ? { reason: how.claim } : {}) };
  const headers: Record<string, string> = how.header !== undefined ? { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': how.header } : {};
  const res = await s.fhir(await s.token(mint), 'GET', '/Patient/helene', undefined, headers);
  return { status: res.status, rpps };
}

/** The break-glass notices queued for Hélène so far. */
async function notices(): Promise<string[]> {
  const { rows } = await s.testDb.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE kind = 'break-glass' AND patient_id = 'helene' ORDER BY id`);
  return rows.map((r) => r.body);
}

const FORGED = 'patient inconscient.\r\n\r\nVotre dossier sera fermé demain. Consultez votre dossier : https://dmp-sante-verification.example/connexion';

describe('a break-glass reason is one plain line without a link, whatever carries it', () => {
  const cases: [string, { header?: string; claim?: string }][] = [
    ['header with line breaks and a forged link', { header: encodeURIComponent(FORGED) }],
    ['token claim with line breaks and a forged link', { claim: FORGED }],
    ['header with a link on one line', { header: encodeURIComponent('urgence vitale, voir https://evil.example/dmp') }],
    ['header naming a site without scheme', { header: encodeURIComponent('urgence : reconnectez-vous sur www.ameli-dmp.info') }],
    ['header with a bidi override', { header: encodeURIComponent('arrêt cardiaque \u202Etxet') }],
    ['header with a tab', { header: encodeURIComponent('arrêt\tcardiaque') }],
    ['header of 301 characters', { header: encodeURIComponent('a'.repeat(301)) }],
  ];
  for (const [label, how] of cases) {
    it(`${label}: 400, nothing read, no notice`, async () => {
      const before = await notices();
      const { status } = await breakGlass(how);
      expect([label, status]).toEqual([label, 400]);
      expect(await notices()).toEqual(before);
    });
  }

  it('a plain reason of 300 characters reads the record and is told to the patient as written (the comparison can fail)', async () => {
    const reason = `patiente inconsciente aux urgences, allergie à vérifier ${'.'.repeat(300 - 56)}`;
    expect([...reason].length).toBe(300);
    const { status } = await breakGlass({ header: encodeURIComponent(reason) });
    expect(status).toBe(200);
    const sent = await notices();
    expect(sent.at(-1)).toContain(`Motif indiqué : ${reason}.`);
    expect(sent.some((body) => /dmp-sante-verification|evil\.example|ameli-dmp/.test(body))).toBe(false);
  });
});
