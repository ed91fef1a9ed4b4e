import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Consent } from '@medplum/fhirtypes';
import request from 'supertest';
import type { MintOptions } from '../../../src/auth/mint-token';
import { parseConsent } from '../../../src/access/consent-rules';
import { sql } from '../../../src/store/sql';
import { byRef, byRpps, consent, IDNAT, maskDoc, purpose, RPPS, systemContext } from './fixture';
import { useFixtureAccessApp } from './fixture-access-app';

// Rule (src/access/README.md, « Refused shapes grant nothing »): closed by default, a Consent provision of a shape writes
// refuse (422) grants nothing, even stored before the refusal. Consents stored by older versions kept the grants derived
// then: a bare permit nested under a block or a mask, and an opening « for » a purpose of another code system, opened a
// record never opened (break-glass, the SAMU regulator and feeders got in); an authorisation nested under the mask of a
// document, or naming its professional as a PractitionerRole, authorised him on the whole record. Migration 172 removes
// every grant the reading of writes does not derive; the restrictions those Consents stored (blocks, masks) stay.
// Each case stores a Consent and the rows the older code derived from it (the lenient reading: the checks of writes off),
// asks over HTTP, applies the migration, and asks again. Fixture: p1 open (spec authorised; d1 ordinary, allergy a1),
// p3 never opened (document f1).

const MIGRATION = readFileSync(path.join(__dirname, '../../../src/store/migrations/172_refused_consent_shapes_grant_nothing.sql'), 'utf8');
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const btg: MintOptions = { kind: 'practitioner', id: RPPS.other, purpose: 'BTG', reason: 'patient inconscient' };
const dr = (rpps: string): MintOptions => ({ kind: 'practitioner', id: rpps });
const provision = (p: Record<string, unknown>) => p as NonNullable<Consent['provision']>;

const a = useFixtureAccessApp();

const status = async (who: MintOptions, url: string): Promise<number> =>
  (await request(a.app).get(`/fhir${url}`).set('Authorization', `Bearer ${await a.token(who)}`)).status;
const migrate = () => a.testDb.db.query(MIGRATION);

/**
 * The rules one Consent stores, as `kind key doc purpose`, once each and sorted: the same rule stored twice (an opening
 * at the top and a refused one nested, the older code kept both rows) decides the same as once.
 */
async function rowsOf(id: string): Promise<string[]> {
  const { rows } = await a.testDb.db.query<{ kind: string; actor_key: string | null; doc_id: string | null; purpose: string | null }>(sql`
    SELECT kind, actor_key, doc_id, purpose FROM access_consent WHERE consent_id = ${id}`);
  return [...new Set(rows.map((r) => [r.kind, r.actor_key, r.doc_id, r.purpose].filter(Boolean).join(' ')))].sort();
}

/** The rules the reading of writes (`lenient` false) or of the older code (true: the checks of writes off) derives, in the same form. */
function rulesOf(c: Consent, lenient: boolean): string[] {
  return [...new Set(parseConsent(c, { lenient }).rules.map((r) => [r.kind, 'actorKey' in r ? r.actorKey : undefined, 'docId' in r ? r.docId : undefined, 'purpose' in r ? r.purpose : undefined].filter(Boolean).join(' ')))].sort();
}

/** Stores the Consent and, in place of what this version derives, the rows the older code derived from it. */
async function storeAsBefore(c: Consent): Promise<void> {
  await a.service.repo.update(systemContext(), c);
  await a.testDb.db.query(sql`DELETE FROM access_consent WHERE consent_id = ${c.id as string}`);
  const patientId = (c.patient?.reference ?? '').replace(/^Patient\//, '');
  for (const rule of parseConsent({ ...c, status: 'active' }, { lenient: true }).rules) {
    await a.testDb.db.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind, actor_key, purpose, doc_id, period_start, period_end)
      VALUES (${c.id as string}, ${patientId}, ${rule.kind}, ${'actorKey' in rule ? (rule.actorKey ?? null) : null}, ${rule.kind === 'refuse' ? rule.purpose : null},
        ${rule.kind === 'mask' ? rule.docId : null}, ${'periodStart' in rule ? (rule.periodStart ?? null) : null}::timestamptz, ${'periodEnd' in rule ? (rule.periodEnd ?? null) : null}::timestamptz)`);
  }
}

/** Withdraws what a case stored (rows derived again by this version: none for a withdrawn Consent). */
async function withdraw(...ids: string[]): Promise<void> {
  for (const id of ids) await a.service.repo.delete(systemContext(), 'Consent', id);
}

describe('a record never opened, opened only by a refused shape, is closed again', () => {
  test('« Dr Y blocked { permit } »: the nested bare permit no longer opens it; the block stays', async () => {
    await storeAsBefore(consent('old-nested-permit', 'p3', provision({ type: 'deny', actor: [byRpps('10000000701')], provision: [{ type: 'permit' }] })));
    expect(await status(btg, '/DocumentReference/f1')).toBe(200);
    await migrate();
    expect(await status(btg, '/DocumentReference/f1')).toBe(404);
    expect(await rowsOf('old-nested-permit')).toEqual(['deny urn:oid:1.2.250.1.71.4.2.1|810000000701', 'deny https://rpps.esante.gouv.fr|10000000701'].sort());
    await withdraw('old-nested-permit');
  });

  test('« document f1 masked { permit } »: the nested bare permit no longer opens it; the mask stays', async () => {
    await storeAsBefore(consent('old-mask-permit', 'p3', provision({ type: 'deny', data: maskDoc('f1'), provision: [{ type: 'permit' }] })));
    expect(await status(btg, '/Patient/p3')).toBe(200);
    await migrate();
    expect(await status(btg, '/Patient/p3')).toBe(404);
    expect(await rowsOf('old-mask-permit')).toEqual(['mask f1']);
    await withdraw('old-mask-permit');
  });

  test('an opening « for » a SNOMED purpose no longer opens it', async () => {
    await storeAsBefore(consent('old-snomed-opening', 'p3', provision({ type: 'permit', purpose: [{ system: 'http://snomed.info/sct', code: '386053000' }] })));
    expect(await status(btg, '/DocumentReference/f1')).toBe(200);
    await migrate();
    expect(await status(btg, '/DocumentReference/f1')).toBe(404);
    expect(await rowsOf('old-snomed-opening')).toEqual([]);
    // What the portal and the notice tell her to do: give her agreement as writes accept it.
    const { id: _drop, ...opening } = consent('x', 'p3', provision({ type: 'permit' }));
    void _drop;
    const opened = await request(a.app).post('/fhir/Consent').set('Authorization', `Bearer ${await a.token({ kind: 'patient', id: 'p3' })}`).send(opening);
    expect(opened.status).toBe(201);
    expect(await status(btg, '/DocumentReference/f1')).toBe(200);
    await withdraw('old-snomed-opening', opened.body.id as string);
  });

  test('an opening written as writes accept it, beside a refused nested permit in the same Consent, still opens it', async () => {
    const both = consent('old-open-and-nested', 'p3', provision({ type: 'permit', provision: [{ type: 'deny', actor: [byRpps('10000000702')], provision: [{ type: 'permit' }] }] }));
    await storeAsBefore(both);
    await migrate();
    expect(await status(btg, '/DocumentReference/f1')).toBe(200);
    expect(await rowsOf('old-open-and-nested')).toEqual(rulesOf(both, false));
    await withdraw('old-open-and-nested');
    expect(await status(btg, '/DocumentReference/f1')).toBe(404);
  });
});

describe('a professional authorised only by a refused shape reads nothing of the record', () => {
  test('« d1 masked, except for Dr X »: Dr X is no longer authorised on the whole record; d1 stays masked from everyone', async () => {
    await storeAsBefore(consent('old-mask-except', 'p1', provision({ type: 'deny', data: maskDoc('d1'), provision: [{ type: 'permit', actor: [byRpps('10000000703')] }] })));
    expect(await status(dr('10000000703'), '/AllergyIntolerance/a1')).toBe(200);
    await migrate();
    expect(await status(dr('10000000703'), '/AllergyIntolerance/a1')).toBe(404);
    expect(await status(dr(RPPS.spec), '/DocumentReference/d1')).toBe(404);
    expect(await rowsOf('old-mask-except')).toEqual(['mask d1']);
    await withdraw('old-mask-except');
    expect(await status(dr(RPPS.spec), '/DocumentReference/d1')).toBe(200);
  });

  test('an authorisation naming its professional as a PractitionerRole (a form writes refuse) no longer authorises him', async () => {
    const asRole = { ...byRpps('10000000704'), reference: { type: 'PractitionerRole', identifier: { system: IDNAT, value: '810000000704' } } };
    await storeAsBefore(consent('old-role-permit', 'p1', provision({ type: 'permit', actor: [asRole] })));
    expect(await status(dr('10000000704'), '/DocumentReference/d1')).toBe(200);
    await migrate();
    expect(await status(dr('10000000704'), '/DocumentReference/d1')).toBe(404);
    expect(await rowsOf('old-role-permit')).toEqual([]);
    await withdraw('old-role-permit');
  });

  test('an authorisation naming a reference and an identifier at once no longer authorises the one its reference names', async () => {
    const both = { ...byRef('author'), reference: { reference: 'Practitioner/author', identifier: { system: IDNAT, value: '810000000705' } } };
    await storeAsBefore(consent('old-both-permit', 'p1', provision({ type: 'permit', actor: [both] })));
    // The author of d1–d3 reads them anyway: the allergy is what the authorisation gave him.
    expect(await status(dr(RPPS.author), '/AllergyIntolerance/a1')).toBe(200);
    await migrate();
    expect(await status(dr(RPPS.author), '/AllergyIntolerance/a1')).toBe(404);
    expect(await status(dr(RPPS.author), '/DocumentReference/d1')).toBe(200);
    await withdraw('old-both-permit');
  });
});

describe('what a refused shape restricts still restricts', () => {
  test('« Dr V blocked for research » still blocks Dr V for everything, and « d1 masked authoredby » still masks d1', async () => {
    await a.service.repo.update(systemContext(), consent('v-authorised', 'p1', provision({ type: 'permit', actor: [byRpps('10000000706')] })));
    await storeAsBefore(consent('old-research-block', 'p1', provision({ type: 'deny', actor: [byRpps('10000000706')], purpose: purpose('HRESCH') })));
    await storeAsBefore(consent('old-authoredby', 'p1', provision({ type: 'deny', data: [{ meaning: 'authoredby', reference: { reference: 'DocumentReference/d1' } }] })));
    for (const when of ['before', 'after']) {
      if (when === 'after') await migrate();
      expect([when, await status(dr('10000000706'), '/AllergyIntolerance/a1')]).toEqual([when, 404]);
      expect([when, await status(dr(RPPS.spec), '/DocumentReference/d1')]).toEqual([when, 404]);
      expect([when, await status(dr(RPPS.spec), '/AllergyIntolerance/a1')]).toEqual([when, 200]);
    }
    await withdraw('v-authorised', 'old-research-block', 'old-authoredby');
  });

  test('the fixture\'s own choices are untouched: openings, authorisations (timed too), blocks, masks, refusals', async () => {
    const { rows: before } = await a.testDb.db.query(sql`SELECT consent_id, kind, actor_key, doc_id, purpose, period_start, period_end FROM access_consent ORDER BY 1, 2, 3, 4, 5`);
    await migrate();
    const { rows: after } = await a.testDb.db.query(sql`SELECT consent_id, kind, actor_key, doc_id, purpose, period_start, period_end FROM access_consent ORDER BY 1, 2, 3, 4, 5`);
    expect(after).toEqual(before);
    expect(before.length).toBeGreaterThan(10);
  });
});

describe('the migration keeps exactly the grants the reading of writes derives', () => {
  const ref = (r: Record<string, unknown>) => ({ role: byRpps('1').role, reference: r });
  const SHAPES: [string, Record<string, unknown>][] = [
    ['a bare opening', { type: 'permit' }],
    ['an opening with a break-glass refusal nested', { type: 'permit', provision: [{ type: 'deny', purpose: purpose('BTG') }] }],
    ['an authorisation by IdNat_PS, for care', { type: 'permit', actor: [byRpps('10000000711')], purpose: [{ system: ACT_REASON, code: 'TREAT' }] }],
    ['an authorisation by RPPS', { type: 'permit', actor: [ref({ identifier: { system: 'https://rpps.esante.gouv.fr', value: '10000000712' } })] }],
    ['an authorisation by versioned reference', { type: 'permit', actor: [ref({ reference: 'Practitioner/spec/_history/2' })] }],
    ['an authorisation excepting a document', { type: 'permit', actor: [byRpps('10000000713')], provision: [{ type: 'deny', data: maskDoc('d1') }] }],
    ['an opening and an authorisation nested', { type: 'permit', provision: [{ type: 'permit', actor: [byRpps('10000000714')] }] }],
    ['a block excepting an authorisation of another', { type: 'deny', actor: [byRpps('10000000715')], provision: [{ type: 'permit', actor: [byRpps('10000000716')] }] }],
    ['a bare permit under a block', { type: 'deny', actor: [byRpps('10000000717')], provision: [{ type: 'permit' }] }],
    ['a bare permit two levels under a mask', { type: 'permit', provision: [{ type: 'deny', data: maskDoc('d1'), provision: [{ type: 'deny', actor: [byRpps('10000000718')], provision: [{ type: 'permit' }] }] }] }],
    ['an authorisation under a mask', { type: 'deny', data: maskDoc('d1'), provision: [{ type: 'permit', actor: [byRpps('10000000719')] }] }],
    ['an opening for a SNOMED purpose', { type: 'permit', purpose: [{ system: 'http://snomed.info/sct', code: '1' }] }],
    ['an opening for TREAT', { type: 'permit', purpose: purpose('TREAT') }],
    ['an authorisation with a good and a malformed professional', { type: 'permit', actor: [byRpps('10000000720'), ref({ reference: 'https://x.example/Practitioner/spec' })] }],
    ['an authorisation of a PractitionerRole-typed reference', { type: 'permit', actor: [ref({ reference: 'Practitioner/spec', type: 'PractitionerRole' })] }],
    ['an authorisation of an IdNat_PS with a space', { type: 'permit', actor: [ref({ identifier: { system: IDNAT, value: '8100 00000721' } })] }],
    ['an authorisation under a mask of a malformed document', { type: 'permit', provision: [{ type: 'deny', data: [{ reference: { reference: 'DocumentReference/d1 ' } }], provision: [{ type: 'permit' }] }] }],
    ['a permit with data', { type: 'permit', data: maskDoc('d1'), provision: [{ type: 'permit', actor: [byRpps('10000000722')] }] }],
    ['a deny naming nobody and refusing nothing, holding an opening', { type: 'deny', provision: [{ type: 'permit' }] }],
    ['a refusal for research holding an opening', { type: 'deny', purpose: purpose('HRESCH'), provision: [{ type: 'permit' }] }],
    ['a block for research holding an authorisation', { type: 'deny', actor: [byRpps('10000000723')], purpose: purpose('HRESCH'), provision: [{ type: 'permit', actor: [byRpps('10000000724')] }] }],
    ['an authorisation for research', { type: 'permit', actor: [byRpps('10000000725')], purpose: purpose('HRESCH') }],
    ['an unknown type holding an opening', { type: 'maybe', provision: [{ type: 'permit' }] }],
    ['a provision naming a professional and a document', { type: 'permit', actor: [byRpps('10000000726')], data: maskDoc('d1') }],
  ];

  test.each(SHAPES.map(([name, p], i) => [name, p, `shape-${i}`] as const))('%s', async (_name, p, id) => {
    const c = consent(id, 'p3', provision(p));
    await storeAsBefore(c);
    try {
      await migrate();
      const grants = (rows: string[]) => rows.filter((r) => /^(open|permit)\b/.test(r));
      expect(grants(await rowsOf(id))).toEqual(grants(rulesOf(c, false)));
      // Nothing else it stored is removed.
      expect((await rowsOf(id)).filter((r) => !/^(open|permit)\b/.test(r))).toEqual(rulesOf(c, true).filter((r) => !/^(open|permit)\b/.test(r)));
    } finally {
      await withdraw(id);
    }
  });

  test('a grant row of a withdrawn Consent, or of none, is derived by nothing: it goes', async () => {
    await a.service.repo.update(systemContext(), consent('withdrawn', 'p3', provision({ type: 'permit' }), 'inactive'));
    await a.testDb.db.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind) VALUES ('withdrawn', 'p3', 'open'), ('no-such-consent', 'p3', 'open')`);
    expect(await status(btg, '/DocumentReference/f1')).toBe(200);
    await migrate();
    expect(await status(btg, '/DocumentReference/f1')).toBe(404);
    expect([...(await rowsOf('withdrawn')), ...(await rowsOf('no-such-consent'))]).toEqual([]);
  });
});
