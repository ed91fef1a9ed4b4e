import type { DocumentReference } from '@medplum/fhirtypes';
import { IDNAT_PS_SYSTEM, professionalSpellings } from '../../../src/access/actor';
import { IDNAT_STRUCT_SYSTEM, organisationSpellings } from '../../../src/access/national-identifiers';
import { useDirectorySweep } from './directory-sweep';
import { mhdDirectorySubmissions } from './mhd-directory-submission';
import { provideBundle } from '../documents/documents-app';
import { RPPS } from './fixture';
import { P1_LAB_REPORT } from './p1-documents';

// Issue 11 ("directory entries … matched by national identifier, never duplicated") for the entries an MHD client
// writes itself in an ITI-65 Provide Document Bundle: a Practitioner or Organization conditional create
// (`ifNoneExist: identifier=<system>|<value>`) that its DocumentReference's author or custodian points at. Rule (README
// "The directory cannot grant access", documents README "Directory entries are matched by the system"): the person or
// structure is found by the system under every spelling of every national identifier the entry carries, as for the
// CDA extraction's entries; ambiguous → the document names it by identifier with the entry's name, nothing created;
// never a duplicate, never a 409 for a spelling difference. Found: the client's exact criteria were searched, so an
// entry kept in another spelling was not found, the create met the directory's 409 and the whole submission failed;
// and criteria the client chose (a local identifier someone had added to his own entry, `_id=…`) chose whose entry
// the document's author was.

const sweep = useDirectorySweep();
const { tokens, diagnostics, fresh, split, carriers, adminCreates, next } = sweep;
const SPEC = { identifier: { system: IDNAT_PS_SYSTEM, value: `8${RPPS.spec}` } }; // authorised by p1 in the fixture
const { uuid, clientEntry, submission, answers, filedDocument, authorisedProfessional } = mhdDirectorySubmissions(sweep);

// Every (kept, written) pair of spellings, generated from the definitions.
const PERSON_SPELLINGS = professionalSpellings(IDNAT_PS_SYSTEM, '810000000001').length;
const PERSON_PAIRS = Array.from({ length: PERSON_SPELLINGS }, (_, kept) => Array.from({ length: PERSON_SPELLINGS }, (_, written) => ({ kept, written }))).flat();
const STRUCTURES = [
  { registry: 'FINESS', idNat: () => `1${fresh('75', 9)}` },
  { registry: 'SIRET', idNat: () => `3${fresh('318', 14)}` },
  { registry: 'SIREN', idNat: () => `2${fresh('41', 9)}` },
];
const structureSpellings = (idNat: string) => organisationSpellings(IDNAT_STRUCT_SYSTEM, idNat);
const STRUCTURE_PAIRS = STRUCTURES.flatMap((st) => {
  const count = structureSpellings(st.idNat()).length;
  return Array.from({ length: count }, (_, kept) => Array.from({ length: count }, (_, written) => ({ registry: st.registry, make: st.idNat, kept, written }))).flat();
});

describe('a client\'s Practitioner entry is the directory\'s entry of that person, whatever the spelling', () => {
  test.each(PERSON_PAIRS)('kept in spelling #$kept, written in spelling #$written: linked (200 naming it), the document filed with it as author', async ({ kept, written }) => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const entry = await adminCreates('Practitioner', [split(all[kept])]);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', all[written], 'Lebrun')], { author: [{ reference: uuid(1) }] }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect([answers(res)[0], res.body.entry[0].response.outcome]).toEqual([{ status: '200 OK', location: expect.stringMatching(new RegExp(`(^|/)Practitioner/${entry}$`)) }, undefined]);
    expect((await filedDocument(res)).author).toEqual([{ reference: `Practitioner/${entry}`, display: 'Jeanne Lebrun' }]); // the name the client gave, beside the entry
    expect(await carriers('Practitioner', all)).toEqual([entry]);
  });
});

describe('a conditional reference to a directory entry by identifier finds it in every spelling', () => {
  test.each(PERSON_PAIRS)('Practitioner kept in spelling #$kept, referenced in spelling #$written: the author is that entry', async ({ kept, written }) => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const entry = await adminCreates('Practitioner', [split(all[kept])]);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([], { author: [{ reference: `Practitioner?identifier=${all[written]}` }] }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect((await filedDocument(res)).author).toEqual([{ reference: `Practitioner/${entry}` }]);
  });
});

describe('a client\'s Organization entry is the directory\'s entry of that structure, whatever the spelling', () => {
  test.each(STRUCTURE_PAIRS)('$registry kept in spelling #$kept, written in spelling #$written: linked as custodian, none created', async ({ make, kept, written }) => {
    const all = structureSpellings(make());
    const entry = await adminCreates('Organization', [split(all[kept])]);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Organization', all[written], 'Laboratoire Pasteur')], { author: [SPEC], custodian: { reference: uuid(1) } }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect(answers(res)[0]).toEqual({ status: '200 OK', location: expect.stringMatching(new RegExp(`(^|/)Organization/${entry}$`)) });
    expect((await filedDocument(res)).custodian).toEqual({ reference: `Organization/${entry}`, display: 'Laboratoire Pasteur' });
    expect(await carriers('Organization', all)).toEqual([entry]);
  });
});

describe('a person or structure new to the directory is one entry', () => {
  test('two client entries of one new professional in two spellings, and a later submission in a third: one Practitioner', async () => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const first = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', all[0], 'Lebrun'), clientEntry(2, 'Practitioner', all[1], 'Lebrun')], { author: [{ reference: uuid(1) }, { reference: uuid(2) }] }));
    expect([first.status, diagnostics(first)]).toEqual([200, undefined]);
    const created = await carriers('Practitioner', all);
    expect(created).toHaveLength(1);
    const location = expect.stringMatching(new RegExp(`(^|/)Practitioner/${created[0]}$`));
    expect(answers(first).slice(0, 2)).toEqual([{ status: '201 Created', location }, { status: '200 OK', location }]);
    const again = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', all[2], 'Lebrun')], { author: [{ reference: uuid(1) }] }));
    expect([again.status, answers(again)[0]]).toEqual([200, { status: '200 OK', location }]);
    expect(await carriers('Practitioner', all)).toEqual(created);
  });

  test('the same submission sent again (a retry): answered like the first, one 200 per entry naming the same resources', async () => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const entry = await adminCreates('Practitioner', [split(all[0])]);
    const bundle = submission([clientEntry(1, 'Practitioner', all[1], 'Lebrun'), clientEntry(2, 'Organization', `${IDNAT_STRUCT_SYSTEM}|1${fresh('75', 9)}`, 'Laboratoire Pasteur')], { author: [{ reference: uuid(1) }], custodian: { reference: uuid(2) } });
    (bundle.entry?.[3].resource as DocumentReference).masterIdentifier = { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.9.3.${next()}` };
    const first = await sweep.run.s.fhir(tokens.feeder, 'POST', '', bundle);
    expect([first.status, diagnostics(first)]).toEqual([200, undefined]);
    expect(answers(first).map((a) => a.status)).toEqual(['200 OK', '201 Created', '201 Created', '201 Created']);
    expect(answers(first)[0].location).toMatch(new RegExp(`(^|/)Practitioner/${entry}$`));
    const again = await sweep.run.s.fhir(tokens.feeder, 'POST', '', bundle);
    expect([again.status, diagnostics(again)]).toEqual([200, undefined]);
    expect(answers(again)).toEqual(answers(first).map((a) => ({ ...a, status: '200 OK' })));
  });

  test('a CDA naming the author the client also writes, in another spelling: one Practitioner, the client\'s and the extraction\'s references on it', async () => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const n = next();
    const xml = P1_LAB_REPORT.replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.9.1.${n}"/>`).replace('<setId root="1.2.250.1.999.1.1.7"/>', `<setId root="1.2.250.1.999.9.2.${n}"/>`)
      .split(`<id root="1.2.250.1.71.4.2.1" extension="8${RPPS.spec}"/>`).join(`<id root="1.2.250.1.71.4.2.1" extension="8${rpps}"/>`);
    const bundle = provideBundle({ bytes: Buffer.from(xml), masterValue: `urn:oid:1.2.250.1.999.9.1.${n}` }, 'Patient/p1');
    const written = all.find((k) => !k.startsWith(`${IDNAT_PS_SYSTEM}|8`)) as string;
    bundle.entry = [clientEntry(1, 'Practitioner', written, 'Camparini'), ...(bundle.entry ?? [])];
    (bundle.entry[2].resource as DocumentReference).author = [{ reference: uuid(1) }];
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', bundle);
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    const created = await carriers('Practitioner', all);
    expect(created).toHaveLength(1);
    expect(answers(res)[0]).toEqual({ status: '201 Created', location: expect.stringMatching(new RegExp(`(^|/)Practitioner/${created[0]}$`)) });
    expect((await filedDocument(res)).author).toEqual([{ reference: `Practitioner/${created[0]}`, display: 'Jeanne Camparini' }]);
  });
});

describe('when the directory cannot say which entry it is, the submission names it by identifier and creates nothing', () => {
  const unlinkedAnswer = (type: string, key: string) => ({
    response: { status: '200 OK', outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'informational', diagnostics: `No ${type} linked or created for ${key}: the directory cannot say which entry it is; the submission names it by this identifier` }] } },
  });

  test('two entries of one FINESS (in two spellings): the custodian is named by the client\'s identifier and name', async () => {
    const all = structureSpellings(`1${fresh('75', 9)}`);
    await adminCreates('Organization', [split(all[1])], 'Doublon A');
    await adminCreates('Organization', [split(all[3])], 'Doublon B');
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Organization', all[0], 'Laboratoire Pasteur')], { author: [SPEC], custodian: { reference: uuid(1) } }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect(res.body.entry[0]).toEqual(unlinkedAnswer('Organization', all[0]));
    expect(answers(res).slice(1).map((a) => a.status)).toEqual(['201 Created', '201 Created']);
    expect((await filedDocument(res)).custodian).toEqual({ display: 'Laboratoire Pasteur', identifier: split(all[0]) });
    expect(await carriers('Organization', all)).toHaveLength(2);
  });

  test('a client entry naming two people (its RPPS and the treating physician\'s): the author is named by the first, nobody\'s entry', async () => {
    const rpps = await authorisedProfessional();
    const entry = clientEntry(1, 'Practitioner', `${IDNAT_PS_SYSTEM}|8${rpps}`, 'Lebrun');
    (entry.resource as { identifier: unknown[] }).identifier.push({ system: 'https://rpps.esante.gouv.fr', value: RPPS.gp });
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([entry], { author: [{ reference: uuid(1) }] }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect(res.body.entry[0]).toEqual(unlinkedAnswer('Practitioner', `${IDNAT_PS_SYSTEM}|8${rpps}`));
    expect((await filedDocument(res)).author).toEqual([{ display: 'Jeanne Lebrun', identifier: { system: IDNAT_PS_SYSTEM, value: `8${rpps}` } }]);
    expect(await carriers('Practitioner', professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`))).toEqual([]);
  });

  test('an entry carrying the client\'s SIRET beside another FINESS than the client\'s: not linked, none created', async () => {
    const [finess, siret, other] = [`1${fresh('75', 9)}`, `3${fresh('318', 14)}`, `1${fresh('75', 9)}`];
    await adminCreates('Organization', [split(structureSpellings(other)[2]), split(structureSpellings(siret)[1])]);
    const entry = clientEntry(1, 'Organization', structureSpellings(finess)[0], 'Laboratoire Pasteur', `identifier=${structureSpellings(finess)[0]}`);
    (entry.resource as { identifier: unknown[] }).identifier.push(split(structureSpellings(siret)[0]));
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([entry], { author: [SPEC], custodian: { reference: uuid(1) } }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect((await filedDocument(res)).custodian).toEqual({ display: 'Laboratoire Pasteur', identifier: split(structureSpellings(finess)[0]) });
    expect(await carriers('Organization', structureSpellings(finess))).toEqual([]);
  });
});

describe('a feeder does not steer its document\'s author or custodian to someone else\'s entry', () => {
  test('a professional\'s entry carrying a hospital\'s local identifier of a physician: the client\'s entry naming it is not linked to his (no authorised author: 403)', async () => {
    const rpps = await authorisedProfessional();
    const local = 'urn:oid:1.2.250.1.999.56.1|DR-42';
    const own = await sweep.run.s.token({ kind: 'practitioner', id: rpps });
    const planted = await sweep.run.s.fhir(own, 'POST', '/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Lebon' }], identifier: [{ system: IDNAT_PS_SYSTEM, value: `8${rpps}` }, split(local)] });
    expect(planted.status).toBe(201);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', local, 'Durand')], { author: [{ reference: uuid(1) }] }));
    expect([res.status, diagnostics(res)]).toEqual([403, expect.stringMatching(/^A feeding system submits documents on behalf of their author/)]);
  });

  test('an organisation\'s entry carrying a lab\'s local identifier: the custodian is named by it, not linked', async () => {
    const local = 'urn:oid:1.2.250.1.999.56.2|LAB-7';
    const planted = await sweep.run.s.fhir(tokens.gp, 'POST', '/Organization', { resourceType: 'Organization', name: 'Médecine du travail', identifier: [{ system: 'http://finess.sante.gouv.fr', value: fresh('75', 9) }, split(local)] });
    expect(planted.status).toBe(201);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Organization', local, 'Laboratoire Pasteur')], { author: [SPEC], custodian: { reference: uuid(1) } }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect(res.body.entry[0].response.location).toBeUndefined();
    expect((await filedDocument(res)).custodian).toEqual({ display: 'Laboratoire Pasteur', identifier: split(local) });
  });

  test('nor does a conditional reference naming the physician by the hospital\'s local identifier (author named by it: 403)', async () => {
    const rpps = await authorisedProfessional();
    const local = 'urn:oid:1.2.250.1.999.56.3|DR-43';
    const own = await sweep.run.s.token({ kind: 'practitioner', id: rpps });
    const planted = await sweep.run.s.fhir(own, 'POST', '/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Lebon' }], identifier: [{ system: IDNAT_PS_SYSTEM, value: `8${rpps}` }, split(local)] });
    expect(planted.status).toBe(201);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([], { author: [{ reference: `Practitioner?identifier=${local}`, display: 'Dr Durand' }] }));
    expect([res.status, diagnostics(res)]).toEqual([403, expect.stringMatching(/^A feeding system submits documents on behalf of their author/)]);
  });

  test.each([
    ['its id (_id)', () => '_id=gp'],
    ['the treating physician\'s RPPS', () => `identifier=${IDNAT_PS_SYSTEM}|8${RPPS.gp}`],
    ['a name', () => 'family=Lebrun'],
  ])('criteria naming anything but the entry\'s own identifiers (%s) are refused 422', async (_, criteria) => {
    const rpps = await authorisedProfessional();
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', `${IDNAT_PS_SYSTEM}|8${rpps}`, 'Lebrun', criteria())], { author: [{ reference: uuid(1) }] }));
    expect([res.status, diagnostics(res), res.body.issue?.[0]?.expression]).toEqual([422, `In a document submission, a Practitioner is matched on the national identifiers it carries (every spelling): its If-None-Exist names identifiers the entry carries (identifier=<system>|<value>), not "${criteria()}"`, ['Bundle.entry[0].request.ifNoneExist']]);
  });
});
