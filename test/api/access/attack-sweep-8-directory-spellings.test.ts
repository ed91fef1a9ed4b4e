import type { Bundle, DocumentReference, PractitionerRole, Reference } from '@medplum/fhirtypes';
import { IDNAT_PS_SYSTEM, professionalSpellings } from '../../../src/access/actor';
import { IDNAT_STRUCT_SYSTEM, organisationSpellings } from '../../../src/access/national-identifiers';
import { newConsent, permitIdNat } from '../../support/consent';
import { useDirectorySweep } from './directory-sweep';
import { provideBundle } from '../documents/documents-app';
import { RPPS } from './fixture';
import { P1_LAB_REPORT } from './p1-documents';

// Issue 11 ("the directory cannot grant access … directory entries are written only by the importer: created from
// documents, matched by national identifier, never duplicated"), sweep 8, over HTTP on the production composition.
// Rule: a person or a structure is one directory entry whatever the spelling of its national identifier (README "The
// directory cannot grant access"; one definition each: `professionalSpellings`, `organisationSpellings`), for the
// directory's duplicate check as for the import's look-up, which looks at every national identifier a document gives.
// Found: the import looked for the first identifier in the document's own spelling. An Organization a directory
// administrator had entered as `FINESS|<n>` (or `https://sirene.fr|<SIRET>`) was created again, under the document's
// name, when a document named it `IdNat_Struct|1<n>`; a Practitioner entered as `RPPS|<RPPS>`, `IdNat_PS|<RPPS>` or
// `RPPS|8<RPPS>` made the import's create meet the directory's 409, and the whole document was refused. The duplicate
// check knew one spelling of a structure: a feeder added the treating physician's hospital again, its FINESS under
// another URI, as « Médecine du travail ». And a local identifier matched too: a professional who added an entry with
// his own RPPS and a hospital's local id of a physician became the author of that hospital's documents.

const sweep = useDirectorySweep({ unauth: { kind: 'practitioner', id: '10000000077' } });
const { tokens, diagnostics, fresh, split, carriers, adminCreates, next } = sweep;
const ORG_NAME = 'Laboratoire des charmes'; // representedOrganization/custodian name in fixtures/cda/lab-report-two-results.xml
const cdaId = (root: string, extension: string) => `<id root="${root}" extension="${extension}"/>`;

/**
 * p1's lab report (written by the specialist p1 authorised) under a document id and set of its own, its organisations
 * (author's, custodian, legal authenticator's) named by `orgIds` (CDA `<id>` elements), its author by `authorId`.
 */
function labReport(options: { orgIds?: string[]; authorId?: string } = {}): string {
  const n = next();
  let xml = P1_LAB_REPORT.replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.8.1.${n}"/>`).replace('<setId root="1.2.250.1.999.1.1.7"/>', `<setId root="1.2.250.1.999.8.2.${n}"/>`);
  if (options.orgIds) xml = xml.split(cdaId('1.2.250.1.71.4.2.2', '1120459876')).join(options.orgIds.join(''));
  if (options.authorId) xml = xml.split(cdaId('1.2.250.1.71.4.2.1', `8${RPPS.spec}`)).join(options.authorId);
  return xml;
}

/** The DocumentReference a $import or ITI-65 answer filed, as p1's treating physician reads it. */
async function filedDocument(answer: { body: Bundle }): Promise<DocumentReference> {
  const location = (answer.body.entry ?? []).map((e) => e.response?.location ?? '').find((l) => l.includes('/DocumentReference/')) as string;
  const res = await sweep.run.s.fhir(tokens.gp, 'GET', `/DocumentReference/${location.split('/DocumentReference/')[1].split('/')[0]}`);
  return res.body as DocumentReference;
}

/** The organisations a document names: its custodian and its authors' organisations (contained PractitionerRoles). */
function organisationsOf(doc: DocumentReference): Reference[] {
  const roles = (doc.contained ?? []).filter((c): c is PractitionerRole => c.resourceType === 'PractitionerRole');
  return [doc.custodian as Reference, ...roles.map((r) => r.organization as Reference).filter(Boolean)];
}

/** The authors' practitioners (contained PractitionerRoles). */
function practitionersOf(doc: DocumentReference): Reference[] {
  return (doc.contained ?? []).filter((c): c is PractitionerRole => c.resourceType === 'PractitionerRole').map((r) => r.practitioner as Reference).filter(Boolean);
}

/** A structure of each registry, its IdNat_Struct as a CDA names it, and every spelling the definition gives. */
const STRUCTURES = [
  { registry: 'FINESS', idNat: () => `1${fresh('75', 9)}` },
  { registry: 'SIRET', idNat: () => `3${fresh('318', 14)}` },
  { registry: 'SIREN', idNat: () => `2${fresh('41', 9)}` },
];
const spellingsOfStructure = (idNat: string) => organisationSpellings(IDNAT_STRUCT_SYSTEM, idNat);
// The matrix is generated from the definition: one example number gives the list of spellings, each case takes its own number.
const STORED_ORGANISATIONS = STRUCTURES.flatMap((st) => spellingsOfStructure(st.idNat()).map((_, i) => ({ registry: st.registry, make: st.idNat, spelling: i })));

describe('an organisation already in the directory is the one a document names, whatever the spelling', () => {
  test.each(STORED_ORGANISATIONS)('$registry kept in spelling #$spelling, a document naming its IdNat_Struct: $import links that entry, creates none', async ({ make, spelling }) => {
    const idNat = make();
    const all = spellingsOfStructure(idNat);
    const entry = await adminCreates('Organization', [split(all[spelling])]);
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ orgIds: [cdaId('1.2.250.1.71.4.2.2', idNat)] }));
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    const doc = await filedDocument(res);
    expect(organisationsOf(doc).map((r) => r.reference)).toEqual([`Organization/${entry}`, `Organization/${entry}`, `Organization/${entry}`]);
    expect(await carriers('Organization', all)).toEqual([entry]);
  });

  test('not only the first identifier: an entry kept under the SIRET a document gives second is found', async () => {
    const [finess, siret] = [`1${fresh('75', 9)}`, `3${fresh('318', 14)}`];
    const entry = await adminCreates('Organization', [split(spellingsOfStructure(siret)[2])]);
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ orgIds: [cdaId('1.2.250.1.71.4.2.2', finess), cdaId('1.2.250.1.71.4.2.2', siret)] }));
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    expect(organisationsOf(await filedDocument(res)).map((r) => r.reference)).toEqual([`Organization/${entry}`, `Organization/${entry}`, `Organization/${entry}`]);
    expect(await carriers('Organization', [...spellingsOfStructure(finess), ...spellingsOfStructure(siret)])).toEqual([entry]);
  });

  test('an ITI-65 submission of the document links the same entry (its extraction creates no second one)', async () => {
    const idNat = `1${fresh('75', 9)}`;
    const all = spellingsOfStructure(idNat);
    const entry = await adminCreates('Organization', [split(all[1])]);
    const xml = labReport({ orgIds: [cdaId('1.2.250.1.71.4.2.2', idNat)] });
    const masterValue = `urn:oid:${/<id root="(1\.2\.250\.1\.999\.8\.1\.\d+)"\/>/.exec(xml)?.[1]}`;
    const bundle = provideBundle({ bytes: Buffer.from(xml), masterValue }, 'Patient/p1');
    (bundle.entry?.[1].resource as DocumentReference).author = [{ identifier: { system: IDNAT_PS_SYSTEM, value: `8${RPPS.spec}` } }];
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', bundle);
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect(await carriers('Organization', all)).toEqual([entry]);
  });
});

describe('a structure new to the directory is one entry', () => {
  test('named by its SIRET as custodian and by FINESS and SIRET as the author\'s organisation: one Organization, all three linked to it', async () => {
    const [finess, siret] = [`1${fresh('75', 9)}`, `3${fresh('318', 14)}`];
    // The document's organisation ids: author's organisation, custodian, legal authenticator's, in that order.
    const parts = labReport().split(cdaId('1.2.250.1.71.4.2.2', '1120459876'));
    const both = cdaId('1.2.250.1.71.4.2.2', finess) + cdaId('1.2.250.1.71.4.2.2', siret);
    const xml = parts.map((part, i) => (i === 0 ? part : (i === 2 ? cdaId('1.2.250.1.71.4.2.2', siret) : both) + part)).join('');
    const res = await sweep.run.s.importCda(tokens.feeder, xml);
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    const entries = await carriers('Organization', [...spellingsOfStructure(finess), ...spellingsOfStructure(siret)]);
    expect(entries).toHaveLength(1);
    expect(organisationsOf(await filedDocument(res)).map((r) => r.reference)).toEqual([0, 1, 2].map(() => `Organization/${entries[0]}`));
  });
});

/** An RPPS number nobody holds yet, authorised by p1 (a Consent naming his IdNat_PS). */
async function authorisedProfessional(): Promise<string> {
  const rpps = fresh('100000', 11);
  const res = await sweep.run.s.fhir(tokens.patient, 'POST', '/Consent', newConsent('p1', permitIdNat(`8${rpps}`)));
  expect(res.status).toBe(201);
  return rpps;
}

const STORED_PRACTITIONERS = professionalSpellings(IDNAT_PS_SYSTEM, '810000000001').flatMap((_, stored) =>
  [{ written: 'IdNat_PS 8 + RPPS', value: (r: string) => `8${r}` }, { written: 'bare RPPS under IdNat_PS', value: (r: string) => r }].map((doc) => ({ stored, ...doc })),
);

describe('a professional already in the directory is the author a document names, whatever the spelling', () => {
  test.each(STORED_PRACTITIONERS)('kept in spelling #$stored, the document writing $written: linked, and the document lands', async ({ stored, value }) => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const entry = await adminCreates('Practitioner', [split(all[stored])]);
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ authorId: cdaId('1.2.250.1.71.4.2.1', value(rpps)) }));
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    expect(practitionersOf(await filedDocument(res)).map((r) => r.reference)).toEqual([`Practitioner/${entry}`, `Practitioner/${entry}`]);
    expect(await carriers('Practitioner', all)).toEqual([entry]);
  });
});

describe('when the directory cannot say which entry it is, the document names it by identifier and nothing is created', () => {
  const byIdentifier = (system: string, value: string, display = ORG_NAME) => ({ display, identifier: { system, value } });

  test('two entries of one FINESS (entered by an administrator in two spellings): neither is linked', async () => {
    const idNat = `1${fresh('75', 9)}`;
    const all = spellingsOfStructure(idNat);
    await adminCreates('Organization', [split(all[1])], 'Doublon A');
    await adminCreates('Organization', [split(all[4])], 'Doublon B');
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ orgIds: [cdaId('1.2.250.1.71.4.2.2', idNat)] }));
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    expect(organisationsOf(await filedDocument(res))).toEqual([0, 1, 2].map(() => byIdentifier(IDNAT_STRUCT_SYSTEM, idNat)));
    expect(await carriers('Organization', all)).toHaveLength(2);
  });

  test('an entry carrying the FINESS of the document and another FINESS (two structures): not linked', async () => {
    const [idNat, other] = [`1${fresh('75', 9)}`, fresh('75', 9)];
    await adminCreates('Organization', [split(spellingsOfStructure(idNat)[0]), { system: 'http://finess.sante.gouv.fr', value: other }]);
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ orgIds: [cdaId('1.2.250.1.71.4.2.2', idNat)] }));
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    expect(organisationsOf(await filedDocument(res))).toEqual([0, 1, 2].map(() => byIdentifier(IDNAT_STRUCT_SYSTEM, idNat)));
  });

  test('an entry whose SIRET is not the one the document gives with the same FINESS: not linked; with the same SIRET: linked', async () => {
    const [finess, siret, otherSiret] = [`1${fresh('75', 9)}`, `3${fresh('318', 14)}`, `3${fresh('318', 14)}`];
    const entry = await adminCreates('Organization', [split(spellingsOfStructure(finess)[1]), split(spellingsOfStructure(siret)[1])]);
    const disagreeing = await sweep.run.s.importCda(tokens.feeder, labReport({ orgIds: [cdaId('1.2.250.1.71.4.2.2', finess), cdaId('1.2.250.1.71.4.2.2', otherSiret)] }));
    expect([disagreeing.status, diagnostics(disagreeing)]).toEqual([201, undefined]);
    expect(organisationsOf(await filedDocument(disagreeing))).toEqual([0, 1, 2].map(() => byIdentifier(IDNAT_STRUCT_SYSTEM, finess)));
    const agreeing = await sweep.run.s.importCda(tokens.feeder, labReport({ orgIds: [cdaId('1.2.250.1.71.4.2.2', finess), cdaId('1.2.250.1.71.4.2.2', siret)] }));
    expect(organisationsOf(await filedDocument(agreeing)).map((r) => r.reference)).toEqual([0, 1, 2].map(() => `Organization/${entry}`));
  });

  test('a Practitioner entry carrying two people\'s RPPS: not linked; the author is named by his IdNat_PS and the document lands', async () => {
    const rpps = await authorisedProfessional();
    await adminCreates('Practitioner', [{ system: IDNAT_PS_SYSTEM, value: `8${rpps}` }, { system: 'https://rpps.esante.gouv.fr', value: RPPS.gp }]);
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ authorId: cdaId('1.2.250.1.71.4.2.1', `8${rpps}`) }));
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    expect(practitionersOf(await filedDocument(res))).toEqual([0, 1].map(() => ({ display: 'Marcel CAMPARINI', identifier: { system: IDNAT_PS_SYSTEM, value: `8${rpps}` } })));
    expect(await carriers('Practitioner', professionalSpellings(IDNAT_PS_SYSTEM, rpps))).toHaveLength(1);
  });
});

describe('nobody steers which entry a document points at by adding one first', () => {
  // Every pair (kept spelling, attacker's spelling) of each registry, generated from the definition.
  const PAIRS = STRUCTURES.flatMap((st) => {
    const count = spellingsOfStructure(st.idNat()).length;
    return Array.from({ length: count }, (_, kept) => ({ registry: st.registry, make: st.idNat, kept, count }));
  });

  test.each(PAIRS)('$registry kept in spelling #$kept: a feeder or a practitioner adding it in any spelling is refused 409 naming that entry', async ({ make, kept, count }) => {
    const all = spellingsOfStructure(make());
    const entry = await adminCreates('Organization', [split(all[kept])]);
    expect(all).toHaveLength(count);
    const answers: unknown[] = [];
    for (const spelling of all) {
      for (const who of ['feeder', 'unauth']) {
        const res = await sweep.run.s.fhir(tokens[who], 'POST', '/Organization', { resourceType: 'Organization', name: 'Médecine du travail', identifier: [split(spelling)] });
        answers.push([who, spelling, res.status, diagnostics(res)]);
      }
    }
    expect(answers).toEqual(all.flatMap((spelling) => ['feeder', 'unauth'].map((who) => [who, spelling, 409, `Organization/${entry} already carries this national identifier: use it (or ask a directory administrator to correct it)`])));
    expect(await carriers('Organization', all)).toEqual([entry]);
  });

  test('an Organization naming two structures of one registry (its own FINESS and another\'s, in another spelling) is refused 422', async () => {
    const [own, victim] = [fresh('75', 9), fresh('75', 9)];
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '/Organization', { resourceType: 'Organization', name: 'Médecine du travail', identifier: [{ system: 'http://finess.sante.gouv.fr', value: own }, { system: IDNAT_STRUCT_SYSTEM, value: `1${victim}` }] });
    expect([res.status, diagnostics(res)]).toEqual([422, expect.stringMatching(/^An Organization names one structure, but its national identifiers name two of one registry/)]);
  });

  test('a professional\'s entry carrying a hospital\'s local identifier of a physician does not make him the author of its documents', async () => {
    const rpps = await authorisedProfessional();
    const own = await sweep.run.s.token({ kind: 'practitioner', id: rpps });
    const local = { system: 'urn:oid:1.2.250.1.999.55.1', value: 'DR-42' };
    const created = await sweep.run.s.fhir(own, 'POST', '/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Lebon' }], identifier: [{ system: IDNAT_PS_SYSTEM, value: `8${rpps}` }, local] });
    expect(created.status).toBe(201);
    // The hospital names its physician by its local identifier only: no authorised author (403), never the professional's entry.
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ authorId: cdaId('1.2.250.1.999.55.1', 'DR-42') }));
    expect([res.status, diagnostics(res)]).toEqual([403, expect.stringMatching(/^A feeding system submits documents on behalf of their author/)]);
  });

  test('nor does an organisation\'s entry carrying a lab\'s local identifier become the lab a document names', async () => {
    const local = { system: 'urn:oid:1.2.250.1.999.55.2', value: 'LAB-7' };
    const created = await sweep.run.s.fhir(tokens.unauth, 'POST', '/Organization', { resourceType: 'Organization', name: 'Médecine du travail', identifier: [{ system: 'http://finess.sante.gouv.fr', value: fresh('75', 9) }, local] });
    expect(created.status).toBe(201);
    const res = await sweep.run.s.importCda(tokens.feeder, labReport({ orgIds: [cdaId('1.2.250.1.999.55.2', 'LAB-7')] }));
    expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
    expect(organisationsOf(await filedDocument(res))).toEqual([0, 1, 2].map(() => ({ display: ORG_NAME, identifier: local })));
  });
});

describe('the treating physician is known in every spelling when a Consent would block him', () => {
  // Rule (DESIGN §1, README "treating physician"): the patient cannot withdraw or block his treating physician's access
  // while he holds that status (422). p1's treating physician is the entry gp (IdNat_PS 8 + RPPS.gp); his token carries
  // every spelling of his RPPS, so a block naming any of them would apply to him.
  test.each(professionalSpellings(IDNAT_PS_SYSTEM, `8${RPPS.gp}`).map((key) => ({ key })))('a block naming $key is refused 422', async ({ key }) => {
    const block = newConsent('p1', { type: 'deny', actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { identifier: split(key) } }] });
    const res = await sweep.run.s.fhir(tokens.patient, 'POST', '/Consent', block);
    expect([res.status, diagnostics(res)]).toEqual([422, expect.stringMatching(/^This professional is the patient's treating physician/)]);
  });
});
