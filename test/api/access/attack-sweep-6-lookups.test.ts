import { IDNAT, P1_INS, RPPS } from './fixture';
import { useSweepServer, type Answer, type Who } from './sweep-4';

// Issue 11's outside check, sixth sweep, family "conditional look-ups of systems that read nothing", over HTTP on the
// production composition. Expected answers come from the rules (DESIGN §4: a feeder cannot read, the Assurance Maladie
// never reads; src/access/README.md: a feeder "finds the patient by identifier inside a write only", "no Patient rows, no
// identities"; issue 11: feeders find a patient "only by exact INS … never lists"). What an attacker gains from a gap: a
// lab's system token bisects the INS, birth date and name of every patient of a physician through the answer of a
// conditional create (200: the entry matched; 409: it did not) — identities a system must never read.

const { call } = useSweepServer('dmp-sweep6-lookups-');
const SYSTEMS: Who[] = ['feeder', 'am'];
/** The treating physician's directory entry, as a document's author would be sent. */
const GP_ENTRY = { resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }], name: [{ family: 'gp' }] };

/** p1's true traits and a wrong guess of each, reached through her treating physician's entry. */
const GUESSES: [string, string, string][] = [
  ['birth date', '_has:Patient:general-practitioner:birthdate=2015-04-02', '_has:Patient:general-practitioner:birthdate=2015-04-03'],
  ['family name', '_has:Patient:general-practitioner:family=Martin', '_has:Patient:general-practitioner:family=Dupont'],
  ['INS', `_has:Patient:general-practitioner:identifier=urn:oid:1.2.250.1.213.1.4.8|${P1_INS}`, '_has:Patient:general-practitioner:identifier=urn:oid:1.2.250.1.213.1.4.8|180012100100107'],
];

/** What an answer tells, the request id set aside. */
const told = (a: Answer): string => `${a.status} ${a.text.replace(/"timestamp":"[^"]*"/g, '')}`;

describe('a system that reads nothing learns no identity through its conditional criteria', () => {
  for (const who of SYSTEMS) {
    it(`${who}: If-None-Exist through _has:Patient answers the same for a true and a wrong guess, and is refused (403)`, async () => {
      for (const [trait, truth, wrong] of GUESSES) {
        const right = await call(who, 'POST', '/Practitioner', GP_ENTRY, { 'If-None-Exist': truth });
        const other = await call(who, 'POST', '/Practitioner', GP_ENTRY, { 'If-None-Exist': wrong });
        expect([trait, right.status, told(right)]).toEqual([trait, 403, told(other)]);
      }
    });

    it(`${who}: the same criteria in a transaction entry (ifNoneExist) or a conditional reference tell nothing either`, async () => {
      for (const [trait, truth, wrong] of GUESSES) {
        const entry = (criteria: string) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:5b8f1a52-9a57-4d43-9a8e-6e2f4b1c0d11', resource: GP_ENTRY, request: { method: 'POST', url: 'Practitioner', ifNoneExist: criteria } }] });
        const [a, b] = [await call(who, 'POST', '', entry(truth)), await call(who, 'POST', '', entry(wrong))];
        expect([trait, 'ifNoneExist', a.status, told(a)]).toEqual([trait, 'ifNoneExist', 403, told(b)]);
        const report = (criteria: string) => ({
          resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
          type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
          author: [{ reference: `Practitioner?${criteria}` }],
          content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4').toString('base64') } }],
        });
        const [c, d] = [await call(who, 'POST', '/DocumentReference', report(truth)), await call(who, 'POST', '/DocumentReference', report(wrong))];
        expect([trait, 'reference', c.status, told(c)]).toEqual([trait, 'reference', 403, told(d)]);
      }
    });
  }

  it('a chain to the Patient in a feeder\'s criteria is refused too (403): a document conditioned on its subject\'s traits', async () => {
    const before = (await call('patient', 'GET', '/DocumentReference?patient=Patient/p1&_summary=count')).body.total;
    for (const criteria of ['subject:Patient.birthdate=2015-04-02', 'subject.family=Martin', `patient.identifier=urn:oid:1.2.250.1.213.1.4.8|${P1_INS}`]) {
      const report = {
        resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
        type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
        author: [{ identifier: { system: IDNAT, value: `8${RPPS.author}` } }],
        content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4').toString('base64') } }],
      };
      const res = await call('feeder', 'POST', '/DocumentReference', report, { 'If-None-Exist': criteria });
      expect([criteria, res.status]).toEqual([criteria, 403]);
    }
    expect((await call('patient', 'GET', '/DocumentReference?patient=Patient/p1&_summary=count')).body.total).toBe(before);
  });

  it('the feeder still finds a directory entry by its identifier (the comparison can fail)', async () => {
    const res = await call('feeder', 'POST', '/Practitioner', GP_ENTRY, { 'If-None-Exist': `identifier=${IDNAT}|8${RPPS.gp}` });
    expect([res.status, res.body?.id]).toEqual([200, 'gp']);
  });
});
