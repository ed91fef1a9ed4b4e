import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { openRecordAsPatient, type RecordIdentity } from './open-record';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { withInsKey } from '../access/ins-values';

// Every kind of document the project's fixtures hold, filed by the system that sends it in real life: a feeder token
// (a hospital's, a lab's, an imaging centre's system), the Assurance Maladie for its care history. Module tests import
// with a professional's token; a feeder writes only the parts of a document (fed-documents.ts), so a mapper that
// produced a row outside the document (the imaging study once did) refused a whole document kind to every feeder,
// and no test saw it. Each patient of the fixtures opens her record and authorises the authors of her documents, as
// a patient would; then each document must land (201) with every resource its plan holds.
// Identities are read from each document's recordTarget (INS, birth family name, first given name, sex, birth date).

const DIR = join(__dirname, '../../../fixtures/cda');
const IDNAT_PS = '1.2.250.1.71.4.2.1';
const AM_DOCUMENTS = ['cnam-hr-remboursements.xml'];
/**
 * cnam-hr-remboursements is written for p1 of the access fixture (NIR 279035121518989), the digits of PAT-TROIS's test
 * NIR in the lab reports; one record per INS digits, so here it is filed under a NIR of its own.
 */
const AM_NIR = withInsKey('2150475123456');
const bytesOf = (file: string): Buffer => {
  const bytes = readFileSync(join(DIR, file));
  return AM_DOCUMENTS.includes(file) ? Buffer.from(bytes.toString('utf8').split('extension="279035121518989"').join(`extension="${AM_NIR}"`)) : bytes;
};
/** Replacements after the documents they replace (lab-report-two-results-v2 replaces lab-report-two-results). */
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort((a, b) => Number(a.includes('-v2')) - Number(b.includes('-v2')) || a.localeCompare(b));

function identityOf(xml: string): RecordIdentity {
  const role = xml.slice(xml.indexOf('<recordTarget>'), xml.indexOf('</recordTarget>'));
  const ins = /<id root="(1\.2\.250\.1\.213\.1\.4\.\d+)" extension="(\d{15})"\/>/.exec(role);
  const family = /<family qualifier="BR">([^<]+)<\/family>/.exec(role) ?? /<family>([^<]+)<\/family>/.exec(role);
  const given = /<given[^>]*>([^<]+)<\/given>/.exec(role);
  const gender = /<administrativeGenderCode code="([FM])"/.exec(role);
  const birth = /<birthTime value="(\d{4})(\d{2})(\d{2})/.exec(role);
  if (!ins || !family || !given || !gender || !birth) throw new Error('a fixture without a full identity');
  return { system: `urn:oid:${ins[1]}`, value: ins[2], family: family[1], given: given[1].split(' ')[0], gender: gender[1] === 'F' ? 'female' : 'male', birthDate: `${birth[1]}-${birth[2]}-${birth[3]}` };
}

/** IdNat_PS of the document's authors (ClinicalDocument/author), the ones the patient must have authorised. */
function authorsOf(xml: string): string[] {
  const authors = [...xml.matchAll(/<author>[\s\S]*?<\/author>/g)].map((m) => m[0]);
  return [...new Set(authors.flatMap((a) => [...a.matchAll(new RegExp(`<id root="${IDNAT_PS.replace(/\./g, '\\.')}" extension="(\\d+)"`, 'g'))].map((m) => m[1])))];
}


let s: AuditServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await startAuditServer();
  tokens.feeder = await s.token({ kind: 'system', id: 'hospital-feeder' });
  tokens.am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  // One record per INS (a test NIR and a NIR of the same digits are two people), opened by its patient, with every author of her documents authorised.
  const byIns = new Map<string, { identity: RecordIdentity; authors: Set<string> }>();
  for (const file of FILES) {
    const xml = bytesOf(file).toString('utf8');
    const identity = identityOf(xml);
    const key = `${identity.system}|${identity.value}`;
    const held = byIns.get(key) ?? { identity, authors: new Set<string>() };
    if (!AM_DOCUMENTS.includes(file)) for (const a of authorsOf(xml)) held.authors.add(a);
    byIns.set(key, held);
  }
  for (const { identity, authors } of byIns.values()) await openRecordAsPatient(s, identity, authors);
}, 180_000);
afterAll(() => s?.close());

const typesOf = (types: string[]) => types.filter((t) => t !== 'Practitioner' && t !== 'Organization').sort();

describe('every fixture document, filed by the system that sends it', () => {
  for (const file of FILES) {
    const sender = AM_DOCUMENTS.includes(file) ? 'am' : 'feeder';
    it(`${file} (${sender === 'am' ? 'Assurance Maladie' : 'feeder'}): 201 with every resource its plan holds`, async () => {
      const bytes = bytesOf(file);
      const planned = (planCdaImport(bytes).bundle.entry ?? []).map((e) => e.resource?.resourceType as string);
      const res = await fetch(`${s.server.fhirUrl}/DocumentReference/$import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[sender]}`, 'content-type': 'application/hl7-cda+xml', accept: 'application/fhir+json' },
        body: bytes,
      });
      const body = (await res.json()) as { entry?: { response: { location: string } }[] };
      expect([res.status, res.status === 201 ? '' : JSON.stringify(body)]).toEqual([201, '']);
      const filed = (body.entry ?? []).map((e) => e.response.location.split('/_history/')[0].split('/').slice(-2)[0]);
      expect(typesOf(filed)).toEqual(typesOf(planned));
    });
  }
});
