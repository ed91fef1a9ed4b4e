import type { Bundle, BundleEntry, DocumentReference, Practitioner, Reference } from '@medplum/fhirtypes';
import { DIRECTORY_SOURCE_SYSTEM } from '../../../src/access/declared-entries';
import { newConsent, permitIdNat } from '../../support/consent';
import { GP_RPPS, IDNAT, MARCHAL_INS, SPEC_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Issue 11 ("directory entries are written only by the importer … and by a directory administrator"): the first sender
// of a new person's or structure's entry names it. Rule (src/access/README.md, "Declared directory entries"): an entry a
// token that is not a directory administrator creates — a document's import, a professional's or feeder's create — is
// tagged as declared by its sender, whatever the client sent; the patient's pages name a declared entry by the name
// the document in hand gives it, else by its name marked « (nom déclaré par un émetteur, non vérifié) »; an entry the
// administrator (or the server) keeps is named from the directory. Found: the professional who filed the first document
// of a new author chose the name under which the patient read every later document of that author, from any sender.

let s: PortalServer;
let cookie: string;
const tokens: Record<string, string> = {};
const NEW_RPPS = '10000000123';
const NEW_FINESS = '750000123';
const DECLARED = '(nom déclaré par un émetteur, non vérifié)';
let serial = 0;

beforeAll(async () => {
  s = await startPortalServer();
  tokens.gp = await s.token({ kind: 'practitioner', id: GP_RPPS });
  tokens.spec = await s.token({ kind: 'practitioner', id: SPEC_RPPS });
  tokens.admin = await s.token({ kind: 'practitioner', id: '10000000088', role: 'directory-admin' });
  cookie = await s.sessionCookie('helene');
  // Hélène authorises the ophthalmologist: a second sender of documents into her record.
  const authorised = await s.fhir(await s.token({ kind: 'patient', id: 'helene' }), 'POST', '/Consent', newConsent('helene', permitIdNat(`8${SPEC_RPPS}`)));
  expect(authorised.status).toBe(201);
}, 120_000);
afterAll(() => s?.close());

const uuid = (n: number) => `urn:uuid:5b1f0c2e-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** An ITI-65 submission of a text report for Hélène titled `title`, with the sender's directory entries and author. */
function submission(title: string, directory: BundleEntry[], author: Reference, custodian?: Reference): Bundle {
  const document = {
    resourceType: 'DocumentReference', status: 'current', type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] }, description: title,
    subject: { reference: `Patient?identifier=${MARCHAL_INS.system}|${MARCHAL_INS.value}` }, author: [author], ...(custodian ? { custodian } : {}),
    content: [{ attachment: { contentType: 'text/plain', url: uuid(90) } }],
  } as DocumentReference;
  return {
    resourceType: 'Bundle', type: 'transaction',
    entry: [
      ...directory,
      { fullUrl: uuid(90), resource: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from(`${title} ${++serial}`).toString('base64') }, request: { method: 'POST', url: 'Binary' } },
      {
        fullUrl: uuid(91),
        resource: document,
        request: { method: 'POST', url: 'DocumentReference' },
      },
    ],
  };
}

const person = (n: number, system: string, value: string, given: string, family: string): BundleEntry => ({
  fullUrl: uuid(n), resource: { resourceType: 'Practitioner', identifier: [{ system, value }], name: [{ given: [given], family }] }, request: { method: 'POST', url: 'Practitioner', ifNoneExist: `identifier=${system}|${value}` },
});
const structure = (n: number, name: string): BundleEntry => ({
  fullUrl: uuid(n), resource: { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: `1${NEW_FINESS}` }], name }, request: { method: 'POST', url: 'Organization', ifNoneExist: `identifier=urn:oid:1.2.250.1.71.4.2.2|1${NEW_FINESS}` },
});

async function submit(token: string, bundle: Bundle): Promise<void> {
  const res = await s.fhir(token, 'POST', '', bundle);
  expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([200, undefined]);
}

/** The author column of the documents page, by document title. */
async function authorsByTitle(): Promise<Record<string, string>> {
  const html = (await s.page(cookie, '/portal/documents')).html;
  const rows = [...html.matchAll(/<tr>\s*<td><a href="\/portal\/documents\/[^"]+">([^<]*)<\/a>.*?<\/td>\s*<td>[^<]*<\/td>\s*<td>(.*?)<\/td>/gs)];
  return Object.fromEntries(rows.map((m) => [textOf(m[1]).trim(), textOf(m[2]).trim()]));
}

test('a declared entry is named by each document\'s own words, else marked as declared; a kept entry by the directory', async () => {
  // The first sender names the new author and the new structure.
  await submit(tokens.gp, submission('Premier compte rendu', [person(1, IDNAT, `8${NEW_RPPS}`, 'Jean', 'USURPATEUR'), structure(2, 'Clinique du Mensonge')], { reference: uuid(1) }, { reference: uuid(2) }));
  // A later sender names the same person (another spelling) in its own words; another names him by identifier only.
  await submit(tokens.spec, submission('Second compte rendu', [person(1, 'https://rpps.esante.gouv.fr', NEW_RPPS, 'Marc', 'VERITABLE')], { reference: uuid(1) }));
  await submit(tokens.spec, submission('Troisième compte rendu', [], { reference: `Practitioner?identifier=${IDNAT}|8${NEW_RPPS}` }));
  // A document naming the treating physician (an entry the directory keeps) under another name.
  await submit(tokens.spec, submission('Quatrième compte rendu', [], { reference: 'Practitioner/gp', display: 'Dr Menteur' }));

  const authors = await authorsByTitle();
  expect(authors).toEqual(expect.objectContaining({
    'Premier compte rendu': 'Jean USURPATEUR',
    'Second compte rendu': 'Marc VERITABLE',
    'Troisième compte rendu': `Jean USURPATEUR ${DECLARED}`,
    'Quatrième compte rendu': 'Dr Claire MARTIN — Médecin généraliste',
  }));

  // The entry says it was declared; the administrator's entries do not.
  const found = await s.fhir(tokens.gp, 'GET', `/Practitioner?identifier=${IDNAT}|8${NEW_RPPS}`);
  const entry = found.body.entry[0].resource as Practitioner;
  expect(entry.meta?.tag).toEqual([{ system: DIRECTORY_SOURCE_SYSTEM, code: 'declared', display: 'Déclaré par un émetteur, non vérifié par l\'annuaire' }]);
  const org = await s.fhir(tokens.gp, 'GET', `/Organization?identifier=urn:oid:1.2.250.1.71.4.2.2|1${NEW_FINESS}`);
  expect(org.body.entry[0].resource.meta.tag).toEqual([expect.objectContaining({ system: DIRECTORY_SOURCE_SYSTEM, code: 'declared' })]);
});

test('a sender cannot say his entry was checked; an administrator\'s entry is not declared', async () => {
  const sent = { resourceType: 'Organization', name: 'Centre vérifié', identifier: [{ system: 'http://finess.sante.gouv.fr', value: '750000124' }], meta: { tag: [{ system: DIRECTORY_SOURCE_SYSTEM, code: 'verified' }, { system: 'urn:example:tags', code: 'x' }] } };
  const res = await s.fhir(tokens.gp, 'POST', '/Organization', sent);
  expect(res.status).toBe(201);
  expect(res.body.meta.tag).toEqual([{ system: 'urn:example:tags', code: 'x' }, expect.objectContaining({ system: DIRECTORY_SOURCE_SYSTEM, code: 'declared' })]);
  const admin = await s.fhir(tokens.admin, 'POST', '/Organization', { resourceType: 'Organization', name: 'Hôpital', identifier: [{ system: 'http://finess.sante.gouv.fr', value: '750000125' }] });
  expect([admin.status, admin.body.meta.tag]).toEqual([201, undefined]);
});

test('an entry created by a conditional PUT is declared like one created by POST', async () => {
  // A non-administrator's conditional update that matches nothing creates the entry: it was stored without the tag, so
  // its first sender's name read as the directory's. (A PUT naming an id creates nothing: the server assigns ids.)
  const byId = await s.fhir(tokens.gp, 'PUT', '/Practitioner/put-created', { resourceType: 'Practitioner', id: 'put-created', identifier: [{ system: IDNAT, value: '810000000456' }], name: [{ family: 'PUTCREE' }] });
  expect(byId.status).toBe(403);
  const url = '/Organization?identifier=http://finess.sante.gouv.fr|750000126';
  const sent = { resourceType: 'Organization', name: 'Centre conditionnel', identifier: [{ system: 'http://finess.sante.gouv.fr', value: '750000126' }] };
  const created = await s.fhir(tokens.gp, 'PUT', url, sent);
  expect([created.status, created.body.meta?.tag]).toEqual([201, [expect.objectContaining({ system: DIRECTORY_SOURCE_SYSTEM, code: 'declared' })]]);
  // The administrator's update keeps what he sends: he removes the tag once he has checked the entry.
  const kept = await s.fhir(tokens.admin, 'PUT', url, { ...sent, id: created.body.id });
  expect([kept.status, kept.body.meta?.tag]).toEqual([200, undefined]);
});
