import { IDNAT, RPPS } from './fixture';
import { shape, useSweepServer, type Who } from './sweep-4';

// Issue 11's outside check, sixth sweep, family "a replacement's parent named by criteria", over HTTP on the production
// composition. Expected answers come from the rules (DESIGN §5 "Hidden is absent": a resource hidden from someone appears
// nowhere for him, write answers included; src/access/README.md "a hidden row answers like a missing one";
// src/documents/README.md: a replaced document hidden from the sender gets the 422 of an unknown one). What an attacker
// gains from a gap: a specialist the patient authorised, from whom she masked a report, learns that it exists and
// bisects its type and date from the text of a refused replacement.

const { call } = useSweepServer('dmp-sweep6-replacements-');

/** A PDF the caller publishes (ITI-105) in p1's record as replacing the parent named by `criteria`. */
const replacement = (criteria: string) => ({
  resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
  type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
  relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference?${criteria}` } }],
  author: [{ identifier: { system: IDNAT, value: `8${RPPS.spec}` } }],
  content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4').toString('base64') } }],
});

/** Each caller with a document of p1 hidden from him: d2 is masked by consent, d3 labelled MASQUE_PS. */
const CASES: [Who, string][] = [['spec', 'd2'], ['spec', 'd3'], ['samu', 'd2']];

describe('a replacement names a hidden parent exactly as a missing one', () => {
  for (const [who, hidden] of CASES) {
    it(`by id: ${who}, ${hidden} hidden from him, answers as for an id that never existed`, async () => {
      const a = await call(who, 'POST', '/DocumentReference', replacement(`_id=${hidden}`));
      const b = await call(who, 'POST', '/DocumentReference', replacement('_id=zz-never'));
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(shape(a, hidden)).toEqual(shape(b, 'zz-never'));
    });

    it(`by other criteria: ${who} learns neither that ${hidden} exists nor its type (the answer does not depend on the record)`, async () => {
      for (const type of ['11488-4', '99999-9']) {
        const guess = await call(who, 'POST', '/DocumentReference', replacement(`_id=${hidden}&type=http://loinc.org|${type}`));
        const missing = await call(who, 'POST', '/DocumentReference', replacement(`_id=zz-never&type=http://loinc.org|${type}`));
        expect([type, guess.status >= 400]).toEqual([type, true]);
        expect([type, ...shape(guess, hidden)]).toEqual([type, ...shape(missing, 'zz-never')]);
      }
    });
  }

  it('nothing was filed in p1 by these attempts', async () => {
    const docs = (await call('patient', 'GET', '/DocumentReference?patient=Patient/p1&type=http://loinc.org|11502-2&_summary=count')).body.total;
    expect(docs).toBe(0);
  });
});
