import type { Bundle, DocumentReference, PractitionerRole } from '@medplum/fhirtypes';
import { IDNAT_PS_SYSTEM, professionalSpellings } from '../../../src/access/actor';
import { IDNAT_STRUCT_SYSTEM, organisationSpellings } from '../../../src/access/national-identifiers';
import { useDirectorySweep } from './directory-sweep';
import { mhdDirectorySubmissions } from './mhd-directory-submission';
import { RPPS } from './fixture';
import { P1_LAB_REPORT } from './p1-documents';

// Issue 11 ("directory entries … matched by national identifier, never duplicated"), under concurrency, on PostgreSQL.
// Rule: whatever the interleaving of a document's import and a direct create of the same person or structure, the
// directory holds one entry of it, and the document points at that entry — or, when the entry that won names another
// structure too, at none (named by identifier: `namesOneHolder`), never at a wrong one. Found: the import looked the
// person up (unlocked for ITI-65, under a lock on its own criteria for $import) and created it in its transaction; a
// direct `POST /Practitioner` checked for a carrier without any lock, so one committed in between gave two entries, and
// an Organization created in between carrying another SIRET beside the same FINESS became the document's custodian.
// Each case runs the two requests together, several times, the direct one started a few milliseconds later each time.

const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('directory create races (PostgreSQL only)', () => {
    console.log('directory-create-race tests not run: TEST_DATABASE_URL is not set (PGlite runs one statement at a time)');
  });
}

const sweep = useDirectorySweep();
const { tokens, diagnostics, fresh, split, carriers, next } = sweep;
const { clientEntry, submission, filedDocument, authorisedProfessional } = mhdDirectorySubmissions(sweep);
const SPEC = { identifier: { system: IDNAT_PS_SYSTEM, value: `8${RPPS.spec}` } }; // authorised by p1 in the fixture
const DELAYS_MS = [0, 1, 2, 4, 6, 8, 12, 16, 24, 32];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const later = async <T>(ms: number, run: () => Promise<T>): Promise<T> => {
  await pause(ms);
  return run();
};

/** The professional's own create of his entry (his RPPS in the RPPS spelling), as his software would send it. */
async function ownEntry(rpps: string): Promise<() => Promise<{ status: number; body: any }>> {
  const own = await sweep.run.s.token({ kind: 'practitioner', id: rpps });
  return () => sweep.run.s.fhir(own, 'POST', '/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Lebrun' }], identifier: [{ system: 'https://rpps.esante.gouv.fr', value: rpps }] });
}

describePg('a document naming a new professional, and his own create of his entry, at the same time', () => {
  test.each(DELAYS_MS)('ITI-65 with the client\'s entry, the direct create %i ms later: one entry, the author is it', async (delay) => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const direct = await ownEntry(rpps);
    const entry = clientEntry(1, 'Practitioner', all[0], 'Lebrun');
    const [res, own] = await Promise.all([
      sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([entry], { author: [{ reference: entry.fullUrl as string }] })),
      later(delay, direct),
    ]);
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect([201, 409]).toContain(own.status);
    const held = await carriers('Practitioner', all);
    expect(held).toHaveLength(1);
    expect((await filedDocument(res)).author).toEqual([expect.objectContaining({ reference: `Practitioner/${held[0]}` })]);
  });

  test.each(DELAYS_MS)('$import of a CDA naming him as author, the direct create %i ms later: one entry, the author is it', async (delay) => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const direct = await ownEntry(rpps);
    const n = next();
    const xml = P1_LAB_REPORT.replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.7.1.${n}"/>`).replace('<setId root="1.2.250.1.999.1.1.7"/>', `<setId root="1.2.250.1.999.7.2.${n}"/>`)
      .split(`<id root="1.2.250.1.71.4.2.1" extension="8${RPPS.spec}"/>`).join(`<id root="1.2.250.1.71.4.2.1" extension="8${rpps}"/>`);
    const [res, own] = await Promise.all([sweep.run.s.importCda(tokens.feeder, xml), later(delay, direct)]);
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    expect([201, 409]).toContain(own.status);
    const held = await carriers('Practitioner', all);
    expect(held).toHaveLength(1);
    const doc = await filedDocument(res as { body: Bundle });
    const authors = (doc.contained ?? []).filter((c): c is PractitionerRole => c.resourceType === 'PractitionerRole').map((r) => r.practitioner?.reference);
    expect(authors).toContain(`Practitioner/${held[0]}`);
  });
});

describePg('two documents naming the same new professional at the same time, by $import and by ITI-65', () => {
  // The import's and the submission's locks are taken in one order (criteria, then holders): in the other order each
  // held what the other waited for, and PostgreSQL broke the deadlock by failing one of them.
  test.each(DELAYS_MS.slice(0, 5))('the ITI-65 submission %i ms later: both filed, one entry, both authored by it', async (delay) => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const n = next();
    const xml = P1_LAB_REPORT.replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.7.3.${n}"/>`).replace('<setId root="1.2.250.1.999.1.1.7"/>', `<setId root="1.2.250.1.999.7.4.${n}"/>`)
      .split(`<id root="1.2.250.1.71.4.2.1" extension="8${RPPS.spec}"/>`).join(`<id root="1.2.250.1.71.4.2.1" extension="8${rpps}"/>`);
    const entry = clientEntry(1, 'Practitioner', all[0], 'Lebrun');
    const [imported, submitted] = await Promise.all([
      sweep.run.s.importCda(tokens.feeder, xml),
      later(delay, () => sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([entry], { author: [{ reference: entry.fullUrl as string }] }))),
    ]);
    expect([imported.status, diagnostics(imported), submitted.status, diagnostics(submitted)]).toEqual([201, undefined, 200, undefined]);
    const held = await carriers('Practitioner', all);
    expect(held).toHaveLength(1);
    expect((await filedDocument(submitted)).author).toEqual([expect.objectContaining({ reference: `Practitioner/${held[0]}` })]);
  });
});

describePg('a document naming a new structure, and a create of an entry for it naming another SIRET, at the same time', () => {
  test.each(DELAYS_MS)('the direct create %i ms later: one entry of the FINESS, and the custodian is never the entry naming the other SIRET', async (delay) => {
    const [finess, siret, otherSiret] = [fresh('75', 9), fresh('318', 14), fresh('318', 14)];
    const structure = organisationSpellings(IDNAT_STRUCT_SYSTEM, `1${finess}`);
    const sent = clientEntry(1, 'Organization', `${IDNAT_STRUCT_SYSTEM}|1${finess}`, 'Laboratoire Pasteur');
    (sent.resource as { identifier: unknown[] }).identifier.push({ system: IDNAT_STRUCT_SYSTEM, value: `3${siret}` });
    const planted = { resourceType: 'Organization', name: 'Médecine du travail', identifier: [{ system: 'http://finess.sante.gouv.fr', value: finess }, { system: 'https://sirene.fr', value: otherSiret }] };
    const [res, other] = await Promise.all([
      sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([sent], { author: [SPEC], custodian: { reference: sent.fullUrl as string } })),
      later(delay, () => sweep.run.s.fhir(tokens.gp, 'POST', '/Organization', planted)),
    ]);
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect([201, 409]).toContain(other.status);
    const held = await carriers('Organization', structure);
    expect(held).toHaveLength(1);
    const custodian = (await filedDocument(res)).custodian as DocumentReference['custodian'];
    // The other structure's entry won: the document names its custodian by identifier; else the custodian is its own entry.
    if (other.status === 201) expect(custodian).toEqual({ display: 'Laboratoire Pasteur', identifier: split(`${IDNAT_STRUCT_SYSTEM}|1${finess}`) });
    else expect(custodian).toEqual(expect.objectContaining({ reference: `Organization/${held[0]}` }));
  });
});
