import type { BundleEntry, DocumentReference, PractitionerRole } from '@medplum/fhirtypes';
import { IDNAT_PS_SYSTEM } from '../../../src/access/actor';
import { useDirectorySweep } from './directory-sweep';
import { mhdDirectorySubmissions } from './mhd-directory-submission';

// Issue 11, the directory and the importer: a hospital's MHD client sends its document's author as a PractitionerRole
// entry (as what and where the author works), referenced by `DocumentReference.author`. Rule (README "The directory
// cannot grant access"): a feeding system adds no PractitionerRole to the directory — its token carries no organisation
// to check the role against, and any feeder attached « Médecin du travail » to the treating physician (sweep 7) — and
// its documents keep their authors' roles inside them (contained, as the CDA import keeps them). Found: the role entry
// met that rule's 403 and the whole document was refused. Now the role is kept inside the document naming it, the entry
// answered `200 OK` saying so, the document filed; the directory gains nothing, the authorised-author check still reads
// the role's practitioner, and a direct `POST /PractitionerRole` by the feeder is still 403.

const sweep = useDirectorySweep();
const { tokens, diagnostics, fresh } = sweep;
const { uuid, clientEntry, submission, answers, filedDocument, authorisedProfessional } = mhdDirectorySubmissions(sweep);
const PROFESSION = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
const CODE = [{ coding: [{ system: PROFESSION, code: '10', display: 'Médecin' }] }];

/** The author's role as the client writes it: naming the Practitioner entry of the same submission. */
const roleEntry = (rpps: string): BundleEntry => ({
  fullUrl: uuid(2),
  resource: { resourceType: 'PractitionerRole', practitioner: { reference: uuid(1), identifier: { system: IDNAT_PS_SYSTEM, value: `8${rpps}` } }, code: CODE } as PractitionerRole,
  request: { method: 'POST', url: 'PractitionerRole' },
});

test("a feeder's author role entry is kept inside its document: filed, the role contained, the directory unchanged", async () => {
  const rpps = await authorisedProfessional();
  const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', `${IDNAT_PS_SYSTEM}|8${rpps}`, 'Lebrun', null), roleEntry(rpps)], { author: [{ reference: uuid(2) }] }));
  expect([res.status, diagnostics(res)]).toEqual([200, undefined]);
  const got = answers(res);
  expect(got.map((a) => a.status)).toEqual(['201 Created', '200 OK', '201 Created', '201 Created']);
  expect(res.body.entry[1].response.outcome.issue[0].diagnostics).toMatch(/^PractitionerRole urn:uuid:\S+ kept inside the resources naming it \(contained #author-role-1\)/);
  const practitioner = (got[0].location as string).replace(/^.*\bPractitioner\//, '');

  const doc: DocumentReference = await filedDocument(res);
  expect(doc.author).toEqual([{ reference: '#author-role-1' }]);
  // The reference to the client's own entry keeps the name that entry gives (README "declared entries").
  expect(doc.contained).toEqual([{ resourceType: 'PractitionerRole', id: 'author-role-1', practitioner: { reference: `Practitioner/${practitioner}`, identifier: { system: IDNAT_PS_SYSTEM, value: `8${rpps}` }, display: 'Jeanne Lebrun' }, code: CODE }]);
  const roles = await sweep.run.s.fhir(tokens.gp, 'GET', `/PractitionerRole?practitioner=Practitioner/${practitioner}`);
  expect(roles.body.entry ?? []).toEqual([]);

  // Outside a submission, the feeder still adds no role.
  const direct = await sweep.run.s.fhir(tokens.feeder, 'POST', '/PractitionerRole', { ...roleEntry(rpps).resource, practitioner: { reference: `Practitioner/${practitioner}`, identifier: { system: IDNAT_PS_SYSTEM, value: `8${rpps}` } } });
  expect([direct.status, diagnostics(direct)]).toEqual([403, expect.stringMatching(/a feeding system adds no PractitionerRole/)]);
});

test('a contained role is no way round the authorised-author check: a role of a professional the patient did not authorise is refused', async () => {
  const stranger = fresh('1000077', 11);
  const res = await sweep.run.s.fhir(tokens.feeder, 'POST', '', submission([clientEntry(1, 'Practitioner', `${IDNAT_PS_SYSTEM}|8${stranger}`, 'Inconnu', null), roleEntry(stranger)], { author: [{ reference: uuid(2) }] }));
  expect([res.status, diagnostics(res)]).toEqual([403, expect.stringMatching(/DocumentReference\.author must name the treating physician or a professional the patient authorised/)]);
});
