import type { DocumentReference, Organization, Practitioner } from '@medplum/fhirtypes';
import { IDNAT_PS_SYSTEM, professionalSpellings } from '../../../src/access/actor';
import { IDNAT_STRUCT_SYSTEM, organisationSpellings } from '../../../src/access/national-identifiers';
import { useDirectorySweep } from './directory-sweep';
import { mhdDirectorySubmissions } from './mhd-directory-submission';
import { RPPS } from './fixture';

// Issue 11, an MHD client's plain creates: a hospital system sends its document's author (or structure) as a plain
// `POST` entry (no `ifNoneExist`) with every submission. Rule (README "The directory cannot grant access", documents
// README "Directory entries are matched by the system"): the entry is the directory's entry of that person or
// structure, found on every spelling of its national identifiers, as a conditional create would find it — the
// document filed, nothing duplicated, nothing of the existing entry changed by the client, the entry's answer `200`
// with its Location. Found: the plain create met the directory's duplicate check (409) and the whole document was
// refused. A plain `POST /Practitioner` outside a submission keeps its 409; a local identifier still vouches for nothing.

const sweep = useDirectorySweep();
const { tokens, diagnostics, fresh, split, carriers, adminCreates, next } = sweep;
const { clientEntry, submission, answers, filedDocument, authorisedProfessional } = mhdDirectorySubmissions(sweep);
const SPEC = { identifier: { system: IDNAT_PS_SYSTEM, value: `8${RPPS.spec}` } }; // authorised by p1 in the fixture
const PLAIN = null;

const PERSON_SPELLINGS = professionalSpellings(IDNAT_PS_SYSTEM, '810000000001').length;
const PERSON_PAIRS = Array.from({ length: PERSON_SPELLINGS }, (_, kept) => Array.from({ length: PERSON_SPELLINGS }, (_, written) => ({ kept, written }))).flat();
const located = (type: string, id: string) => expect.stringMatching(new RegExp(`(^|/)${type}/${id}$`));

describe('a plain create of a person already in the directory is that entry', () => {
  test.each(PERSON_PAIRS)('kept in spelling #$kept, sent in spelling #$written: 200 naming the entry, the document filed with it as author', async ({ kept, written }) => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const entry = await adminCreates('Practitioner', [split(all[kept])]);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', all[written], 'Lebrun', PLAIN)], { author: [{ reference: clientEntry(1, 'Practitioner', all[0], '').fullUrl as string }] }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect(answers(res)).toEqual([{ status: '200 OK', location: located('Practitioner', entry) }, { status: '201 Created', location: expect.any(String) }, { status: '201 Created', location: expect.any(String) }]);
    expect((await filedDocument(res)).author).toEqual([expect.objectContaining({ reference: `Practitioner/${entry}` })]);
    expect(await carriers('Practitioner', all)).toEqual([entry]);
  });

  test('the client\'s name, telecom and other identifiers are not written into the entry (no takeover)', async () => {
    const rpps = await authorisedProfessional();
    const entry = await adminCreates('Practitioner', [{ system: 'https://rpps.esante.gouv.fr', value: rpps }], 'Durand');
    const before = (await sweep.run.s.fhir(tokens.gp, 'GET', `/Practitioner/${entry}`)).body as Practitioner;
    const sent = clientEntry(1, 'Practitioner', `${IDNAT_PS_SYSTEM}|8${rpps}`, 'Usurpateur', PLAIN);
    Object.assign(sent.resource as Practitioner, { telecom: [{ system: 'email', value: 'pirate@example.org' }] });
    (sent.resource as Practitioner).identifier?.push({ system: 'urn:oid:1.2.250.1.999.56.9', value: 'DR-LOCAL-1' });
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([sent], { author: [{ reference: sent.fullUrl as string }] }));
    expect([res.status, answers(res)[0]]).toEqual([200, { status: '200 OK', location: located('Practitioner', entry) }]);
    const after = (await sweep.run.s.fhir(tokens.gp, 'GET', `/Practitioner/${entry}`)).body as Practitioner;
    expect(after).toEqual(before);
    // The local identifier the client sent finds nobody: it was not attached to the entry.
    expect(await carriers('Practitioner', ['urn:oid:1.2.250.1.999.56.9|DR-LOCAL-1'])).toEqual([]);
    // Outside a submission, a plain create of that person keeps the directory's 409.
    const direct = await sweep.run.s.fhir(tokens.feeder, 'POST', '/Practitioner', sent.resource);
    expect([direct.status, diagnostics(direct)]).toEqual([409, `Practitioner/${entry} already carries this national identifier: use it (or ask a directory administrator to correct it)`]);
  });
});

describe('a plain create of a structure already in the directory is that entry', () => {
  test.each([0, 1, 2, 3, 4])('a FINESS kept in spelling #%i, sent as IdNat_Struct: linked as custodian, unchanged, none created', async (kept) => {
    const all = organisationSpellings(IDNAT_STRUCT_SYSTEM, `1${fresh('75', 9)}`);
    const entry = await adminCreates('Organization', [split(all[kept])], 'Laboratoire Pasteur');
    const before = (await sweep.run.s.fhir(tokens.gp, 'GET', `/Organization/${entry}`)).body as Organization;
    const sent = clientEntry(1, 'Organization', all[0], 'Médecine du travail', PLAIN);
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([sent], { author: [SPEC], custodian: { reference: sent.fullUrl as string } }));
    expect([res.status, diagnostics(res), answers(res)[0]]).toEqual([200, undefined, { status: '200 OK', location: located('Organization', entry) }]);
    expect((await filedDocument(res)).custodian).toEqual(expect.objectContaining({ reference: `Organization/${entry}` }));
    expect((await sweep.run.s.fhir(tokens.gp, 'GET', `/Organization/${entry}`)).body).toEqual(before);
    expect(await carriers('Organization', all)).toEqual([entry]);
  });
});

describe('a plain create of a new person is one entry, then found', () => {
  test('the first submission creates it (201), a second one in another spelling is linked to it (200), and a retry is answered alike', async () => {
    const rpps = await authorisedProfessional();
    const all = professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`);
    const first = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', all[0], 'Lebrun', PLAIN)], { author: [{ reference: clientEntry(1, 'Practitioner', all[0], '').fullUrl as string }] }));
    expect([first.status, diagnostics(first)]).toEqual([200, undefined]);
    const created = await carriers('Practitioner', all);
    expect(created).toHaveLength(1);
    expect(answers(first)[0]).toEqual({ status: '201 Created', location: located('Practitioner', created[0]) });
    const bundle = submission([clientEntry(1, 'Practitioner', all[1], 'Lebrun', PLAIN)], { author: [{ reference: clientEntry(1, 'Practitioner', all[0], '').fullUrl as string }] });
    (bundle.entry?.[2].resource as DocumentReference).masterIdentifier = { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.9.4.${next()}` };
    const second = await sweep.run.s.fhir(tokens.feeder, 'POST', '', bundle);
    expect([second.status, diagnostics(second), answers(second)[0]]).toEqual([200, undefined, { status: '200 OK', location: located('Practitioner', created[0]) }]);
    const retry = await sweep.run.s.fhir(tokens.feeder, 'POST', '', bundle);
    expect([retry.status, diagnostics(retry)]).toEqual([200, undefined]);
    expect(answers(retry)).toEqual(answers(second).map((a) => ({ ...a, status: '200 OK' })));
    expect(await carriers('Practitioner', all)).toEqual(created);
  });

  test('a plain entry naming two people (its RPPS and the treating physician\'s): nobody\'s entry, the author named by identifier; one named by a local identifier links to nobody either', async () => {
    const rpps = await authorisedProfessional();
    const sent = clientEntry(1, 'Practitioner', `${IDNAT_PS_SYSTEM}|8${rpps}`, 'Lebrun', PLAIN);
    (sent.resource as Practitioner).identifier?.push({ system: 'https://rpps.esante.gouv.fr', value: RPPS.gp });
    const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([sent], { author: [{ reference: sent.fullUrl as string }] }));
    expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
    expect(res.body.entry[0].response.location).toBeUndefined();
    expect((await filedDocument(res)).author).toEqual([{ display: 'Jeanne Lebrun', identifier: { system: IDNAT_PS_SYSTEM, value: `8${rpps}` } }]);
    expect(await carriers('Practitioner', professionalSpellings(IDNAT_PS_SYSTEM, `8${rpps}`))).toEqual([]);
    // A local identifier vouches for nothing: the entry a professional added with a hospital's local id beside his RPPS
    // is not the author of a plain entry naming that local id (kept a plain create, which the directory refuses).
    const local = 'urn:oid:1.2.250.1.999.56.4|DR-44';
    const own = await sweep.run.s.token({ kind: 'practitioner', id: rpps });
    const planted = await sweep.run.s.fhir(own, 'POST', '/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Lebon' }], identifier: [{ system: IDNAT_PS_SYSTEM, value: `8${rpps}` }, split(local)] });
    expect(planted.status).toBe(201);
    const byLocal = clientEntry(1, 'Practitioner', local, 'Durand', PLAIN);
    const refused = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([byLocal], { author: [{ reference: byLocal.fullUrl as string }] }));
    expect([refused.status, diagnostics(refused)]).toEqual([403, expect.stringMatching(/^Directory entries are maintained by the document import and directory administrators: a Practitioner may be added only with a national identifier/)]);
  });
});
