import type { Bundle, BundleEntry, DocumentReference, Reference } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { withInsKey } from '../access/ins-values';
import { GP_RPPS, IDNAT, MARCHAL_INS, SPEC_RPPS, startPortalServer, type PortalServer } from './portal-harness';

// Attack sweep 11, family "data others write, shown to someone else" (issue 11: directory data, identifiers and contacts
// are attack surface). Rules: a name, a title, a reference's display or a contact is one line a person reads; it
// carries no control, bidi or invisible character (src/validation/displayed-text.ts), or the write is refused (422) and
// nothing is stored. An e-mail contact is one address: nodemailer sends "a@x.fr, b@y.fr" to both, so a record created
// with such a contact sent every sign-in and reset code to a second person unseen.

let s: PortalServer;
const tokens: Record<string, string> = {};
const RLO = '\u202E';
let serial = 0;

beforeAll(async () => {
  s = await startPortalServer();
  tokens.gp = await s.token({ kind: 'practitioner', id: GP_RPPS });
  tokens.spec = await s.token({ kind: 'practitioner', id: SPEC_RPPS });
  tokens.helene = await s.token({ kind: 'patient', id: 'helene' });
}, 120_000);
afterAll(() => s?.close());

const uuid = (n: number) => `urn:uuid:7c2e1d40-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** An ITI-65 submission for Hélène by the treating physician: `directory` entries, then a text report. */
function submission(doc: Partial<DocumentReference>, directory: BundleEntry[] = [], author: Reference = { reference: 'Practitioner/gp' }): Bundle {
  const document = {
    resourceType: 'DocumentReference', status: 'current', type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] }, description: 'Compte rendu',
    subject: { reference: `Patient?identifier=${MARCHAL_INS.system}|${MARCHAL_INS.value}` }, author: [author],
    content: [{ attachment: { contentType: 'text/plain', url: uuid(90), title: 'Compte rendu' } }], ...doc,
  } as DocumentReference;
  return {
    resourceType: 'Bundle', type: 'transaction',
    entry: [
      ...directory,
      { fullUrl: uuid(90), resource: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from(`rapport ${++serial}`).toString('base64') }, request: { method: 'POST', url: 'Binary' } },
      { fullUrl: uuid(91), resource: document, request: { method: 'POST', url: 'DocumentReference' } },
    ],
  };
}

const documentCount = async (): Promise<number> =>
  (await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'DocumentReference' AND compartment = 'helene' AND NOT deleted`)).rows[0].n;
const practitionersNamed = async (family: string): Promise<number> =>
  (await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Practitioner' AND text LIKE ${`%${family}%`}`)).rows[0].n;

describe('a name, title or display carrying a control, bidi or invisible character is refused, nothing stored', () => {
  const person = (family: string, rpps: string): BundleEntry => ({
    fullUrl: uuid(1), resource: { resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: `8${rpps}` }], name: [{ prefix: ['Dr'], family }] },
    request: { method: 'POST', url: 'Practitioner', ifNoneExist: `identifier=${IDNAT}|8${rpps}` },
  });
  const cases: [string, Bundle][] = [
    // U+202E turned the rest of the sentence around in the history ("Le 6 décembre, Dr X a consulté …").
    ['an author entry whose name holds U+202E', submission({}, [person(`TENRUOB${RLO}`, '10000000311')], { reference: uuid(1) })],
    ['an author entry whose name holds a line break', submission({}, [person('BOURNET\r\nDr Claire MARTIN', '10000000312')], { reference: uuid(1) })],
    ['an author named by a display holding U+202E', submission({}, [], { reference: 'Practitioner/gp', display: `Dr ${RLO}NITRAM eralC` })],
    ['a document title holding U+202E', submission({ content: [{ attachment: { contentType: 'text/plain', url: uuid(90), title: `Bilan ${RLO}lamron` } }] })],
    ['a document title holding a zero-width space', submission({ content: [{ attachment: { contentType: 'text/plain', url: uuid(90), title: 'Compte\u200B rendu' } }] })],
    ['a description holding U+2066 (an isolate)', submission({ description: 'Compte rendu \u2066 opératoire' })],
    ['a document title of 501 characters', submission({ content: [{ attachment: { contentType: 'text/plain', url: uuid(90), title: `Bilan ${'x'.repeat(495)}` } }] })],
  ];
  for (const [label, bundle] of cases) {
    it(`${label}: 422 naming the element, no document, no entry`, async () => {
      const before = await documentCount();
      const res = await s.fhir(tokens.gp, 'POST', '', bundle);
      expect([label, res.status]).toEqual([label, 422]);
      expect(JSON.stringify(res.body)).toMatch(/U\+(202E|000D|200B|2066)|longer than 500/);
      expect(await documentCount()).toBe(before);
      expect(await practitionersNamed('BOURNET')).toBe(0);
      expect(await practitionersNamed('TENRUOB')).toBe(0);
    });
  }

  it('a professional\'s own directory create and an organisation\'s name are held to the same rule', async () => {
    const named = (family: string) => ({ resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: '810000000313' }], name: [{ family }] });
    expect((await s.fhir(tokens.spec, 'POST', '/Practitioner', named('ASSURANCE\u2060MALADIE'))).status).toBe(422);
    expect((await s.fhir(tokens.spec, 'POST', '/Practitioner', named('ROCHE\u0085'))).status).toBe(422);
    // Over-long: copied into pages and notices as one line (a name part is at most 200 characters, a title 500).
    expect((await s.fhir(tokens.spec, 'POST', '/Practitioner', named('R'.repeat(201)))).status).toBe(422);
    const org = { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1750000313' }], name: `Clinique${RLO}` };
    expect((await s.fhir(tokens.spec, 'POST', '/Organization', org)).status).toBe(422);
  });

  it('the same writes with plain values are stored (the comparison can fail)', async () => {
    const before = await documentCount();
    const res = await s.fhir(tokens.gp, 'POST', '', submission({ description: 'Compte rendu\nsur deux lignes' }, [], { reference: 'Practitioner/gp', display: 'Dr Claire MARTIN' }));
    expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([200, undefined]);
    expect(await documentCount()).toBe(before + 1);
    const plain = { resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: '810000000314' }], name: [{ given: ['Zoé', 'É'.repeat(200)], family: 'N’DIAYE-ÉLOI' }] };
    expect((await s.fhir(tokens.spec, 'POST', '/Practitioner', plain)).status).toBe(201);
  });
});

describe('an e-mail or mobile contact of a record is one address or one number', () => {
  const patient = (body13: string, telecom: object[]) => ({
    resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: withInsKey(body13) }], name: [{ use: 'official', family: 'NOUVEAU', given: ['Paul'] }],
    gender: 'male', birthDate: '1977-05-01', telecom,
  });
  const recordsOf = async (body13: string): Promise<number> =>
    (await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Patient' AND text LIKE ${`%${withInsKey(body13)}%`}`)).rows[0].n;

  const cases: [string, object][] = [
    ['a comma list (nodemailer sends to both)', { system: 'email', value: 'paul.nouveau@example.org, intrus@example.org' }],
    ['a semicolon list', { system: 'email', value: 'paul.nouveau@example.org;intrus@example.org' }],
    ['a display name hiding another address', { system: 'email', value: 'paul.nouveau@example.org<intrus@example.org>' }],
    ['a line break adding a header', { system: 'email', value: 'paul.nouveau@example.org\r\nBcc: intrus@example.org' }],
    ['two mobile numbers', { system: 'sms', value: '+33612345678,+33698765432' }],
    ['a mobile phone with a letter', { system: 'phone', use: 'mobile', value: '06 12 34 56 78 / intrus' }],
  ];
  cases.forEach(([label, contact], i) => {
    it(`a professional opening a record with ${label}: 422, no record`, async () => {
      const body13 = `17705751${String(40 + i).padStart(5, '0')}`;
      const res = await s.fhir(tokens.gp, 'POST', '/Patient', patient(body13, [contact]));
      expect([label, res.status]).toEqual([label, 422]);
      expect(res.body.issue?.[0]?.expression).toEqual(['Patient.telecom[0].value']);
      expect(await recordsOf(body13)).toBe(0);
    });
  });

  it('one address and one mobile, as people write them, open the record (the comparison can fail)', async () => {
    const body13 = '1770575100060';
    const res = await s.fhir(tokens.gp, 'POST', '/Patient', patient(body13, [{ system: 'email', value: ' Paul.Nouveau@example.org ' }, { system: 'phone', use: 'mobile', value: '06 12 34 56 78' }, { system: 'phone', value: '01 42 00 00 00 poste 12' }]));
    expect(res.status).toBe(201);
    expect(await recordsOf(body13)).toBe(1);
  });

  it('the patient\'s own $change-contact to a list of addresses: 422, no code sent anywhere', async () => {
    const confirmations = async () => (await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM notify_outbox WHERE kind = 'contact-confirmation'`)).rows[0].n;
    const change = (value: string) => s.fhir(tokens.helene, 'POST', '/Patient/helene/$change-contact', { resourceType: 'Parameters', parameter: [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: value }] });
    const before = await confirmations();
    for (const value of ['helene@example.org;intrus@example.org', 'helene@example.org,intrus@example.org', 'h<intrus@example.org>']) {
      expect([value, (await change(value)).status]).toEqual([value, 422]);
    }
    expect(await confirmations()).toBe(before);
    // One address is accepted and its code queued (the comparison can fail).
    expect((await change('helene.nouvelle@example.org')).status).toBe(200);
    expect(await confirmations()).toBe(before + 1);
  });

  it('a guardian\'s link carrying a list of addresses is refused too (his notices go to it)', async () => {
    const link = {
      resourceType: 'RelatedPerson', patient: { reference: 'Patient/helene' }, name: [{ family: 'MARCHAL', given: ['Jean'] }],
      relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FRND' }] }],
      telecom: [{ system: 'email', value: 'jean@example.org,intrus@example.org' }],
    };
    const res = await s.fhir(await s.token({ kind: 'patient', id: 'helene' }), 'POST', '/RelatedPerson', link);
    expect(res.status).toBe(422);
  });
});
