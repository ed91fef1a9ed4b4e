import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Patient, Practitioner } from '@medplum/fhirtypes';
import { consent, RPPS, systemContext } from './fixture';
import { withInsKey } from './ins-values';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11, identity leftovers: look-alike letters of other alphabets in person names. A Cyrillic 'о' (U+043E) or a
// Greek 'ο' (U+03BF) in "Dupont" reads as Dupont to the patient choosing whom to block or reading her trail, yet is
// another string to every comparison. Rule (src/validation/displayed-text.ts, src/access/README.md "Values shown to
// someone else"): a person's name written through the API or carried by a CDA header, Latin mixed with Cyrillic or
// Greek, or written in fullwidth or mathematical letters, is refused with 422; a Patient's identity name (official,
// maiden) is written in Latin letters (the INS traits are, RNIV); a usual name, a professional's or a guardian's may be
// written wholly in another alphabet. A token whose name claim mixes look-alike alphabets is refused (401).

const { run, call, raw, tokenWith } = useSweepServer('dmp-look-alike-');
const fetchAs = (token: string) => raw(token, 'GET', '/Practitioner/gp');
const CYRILLIC_O = '\u043E';
const GREEK_O = '\u03BF';
const said = (answer: Answer) => (answer.body?.issue ?? []).map((i: { diagnostics?: string }) => i.diagnostics ?? '').join(' | ');
let n = 0;
/** A patient opening her own record online under a fresh INS, with these names. */
async function openRecord(name: Patient['name']): Promise<Answer> {
  n += 1;
  const ins = withInsKey(`29905751234${String(n).padStart(2, '0')}`);
  return call({ kind: 'patient', id: ins }, 'POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: ins }], name, gender: 'female', birthDate: '1999-05-09' });
}
const admin = { kind: 'system', id: 'annuaire', role: 'directory-admin' } as const;
const practitioner = (family: string, given = 'Jean'): Practitioner => {
  n += 1;
  return { resourceType: 'Practitioner', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: `81000000${String(n).padStart(4, '0')}` }], name: [{ family, given: [given] }] };
};

describe('Patient names written through the API', () => {
  it.each([
    ['a Cyrillic о in the birth name', [{ use: 'official', family: `Dup${CYRILLIC_O}nt`, given: ['Marie'] }], /Latin and Cyrillic/],
    ['a Greek ο in the first name', [{ use: 'official', family: 'Dupont', given: [`Mari${GREEK_O}n`] }], /Latin and Greek/],
    ['a usual name mixing Latin and Cyrillic', [{ use: 'usual', family: `Le Gall`, given: [`M${CYRILLIC_O}rgane`] }], /Latin and Cyrillic/],
    ['fullwidth letters', [{ use: 'official', family: '\uFF24upont', given: ['Marie'] }], /presentation form/],
    ['an official name wholly in Cyrillic', [{ use: 'official', family: 'Иванова', given: ['Мария'] }], /Latin letters/],
  ] as [string, Patient['name'], RegExp][])('%s: 422 naming the name', async (_what, name, message) => {
    const res = await openRecord(name);
    expect([res.status, res.body?.resourceType, said(res)]).toEqual([422, 'OperationOutcome', expect.stringMatching(message)]);
  });

  it('control: accents, apostrophes and hyphens in Latin, and a usual name wholly in Cyrillic beside a Latin official one (201)', async () => {
    const res = await openRecord([{ use: 'official', family: 'N\u2019Diaye-Lefèvre', given: ['Hélène', 'Zoë'] }, { use: 'usual', family: 'Иванова', given: ['Мария'] }]);
    expect([res.status, res.status === 201 ? '' : said(res)]).toEqual([201, '']);
  });
});

describe('Practitioner names written through the API (the directory the patient blocks from)', () => {
  it('a Cyrillic о in a professional\'s name: 422', async () => {
    const res = await call(admin, 'POST', '/Practitioner', practitioner(`Dup${CYRILLIC_O}nt`));
    expect([res.status, said(res)]).toEqual([422, expect.stringMatching(/Latin and Cyrillic/)]);
  });

  it('control: a Latin name, and one wholly in Greek (201)', async () => {
    for (const body of [practitioner('Dupont'), practitioner('Παπαδόπουλος', 'Γιώργος')]) {
      const res = await call(admin, 'POST', '/Practitioner', body);
      expect([res.status, res.status === 201 ? '' : said(res)]).toEqual([201, '']);
    }
  });
});

describe('a CDA header naming its patient with look-alike letters', () => {
  beforeAll(async () => {
    // The fixture's patient born in Reims, her record opened, the fixture's gp her treating physician.
    const record = JSON.parse(readFileSync(path.join(__dirname, '../../../fixtures/fhir/Patient-birthplace-insee.json'), 'utf8')) as Patient & { id: string };
    await run.server.service.repo.update(systemContext(), { ...record, generalPractitioner: [{ reference: 'Practitioner/gp' }] } as Patient);
    await run.server.service.repo.update(systemContext(), consent('cb-open', record.id, { type: 'permit' }));
  });
  const documents = async (): Promise<number> => (await call('gp', 'GET', '/DocumentReference?patient=Patient/birthplace-jeanne&_summary=count')).body.total as number;

  it('is refused (422), nothing filed', async () => {
    const before = await documents();
    const xml = readFileSync(path.join(__dirname, '../../../fixtures/cda/lab-report-birthplace.xml'), 'utf8')
      .replace('<family qualifier="BR">LEROUX</family>', `<family qualifier="BR">LER${CYRILLIC_O.toUpperCase()}UX</family>`)
      .split('extension="801234534765"').join(`extension="8${RPPS.gp}"`);
    const res = await call('gp', 'POST', '/DocumentReference/$import', xml, { 'Content-Type': 'application/hl7-cda+xml' });
    expect([res.status, said(res)]).toEqual([422, expect.stringMatching(/Latin and Cyrillic|birthName/)]);
    expect(await documents()).toBe(before);
  });
});

describe('identity-provider tokens', () => {
  it('a professional\'s token whose name mixes Latin and Cyrillic: 401, the trail would show it as another\'s', async () => {
    const token = await tokenWith({ dmp_kind: 'practitioner', rpps: RPPS.gp, name: `Dr Jean Dup${CYRILLIC_O}nt`, scope: 'user/*.cruds' });
    const res = await fetchAs(token);
    expect([res.status, said(res)]).toEqual([401, expect.stringMatching(/name mixes letters of the Latin and Cyrillic alphabets/)]);
  });

  it('control: the same token with a Latin name reads (200)', async () => {
    const token = await tokenWith({ dmp_kind: 'practitioner', rpps: RPPS.gp, name: 'Dr Jean Dupont', scope: 'user/*.cruds' });
    expect((await fetchAs(token)).status).toBe(200);
  });
});

