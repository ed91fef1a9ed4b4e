import type { Consent } from '@medplum/fhirtypes';
import type { MintOptions } from '../../../src/auth/mint-token';
import { A07, byRpps, consent, IDNAT, maskDoc, purpose, RPPS, systemContext } from './fixture';
import { useSweepServer } from './sweep-4';

// Rule (src/access/README.md, "What a provision states is exactly what is enforced"): every part of a Consent in force is
// either read by a rule or refused with 422 naming that part — never dropped (the choice silently ignored) nor read wider
// than written. Shapes an attacker (or a careless client) writes: an actor without role or with a role of another
// system, purposes of another code system or another spelling, a purpose a block cannot state, a bare permit nested
// under a provision naming someone (it opened the record), a data meaning other than the document, a period with only
// an end, nesting deeper than two. Fixture: p1 open (spec authorised, d1 and d5 ordinary); p3 never opened (f1).

const { run, call } = useSweepServer('dmp-consent-odd-shapes-');
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const btg: MintOptions = { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'patient inconscient' };
const dr = (rpps: string): MintOptions => ({ kind: 'practitioner', id: rpps });

/** A Consent of this patient with this provision, no id (the server draws it). */
function of(patient: string, provision: Record<string, unknown>): Consent {
  const { id, ...body } = consent('x', patient, provision as NonNullable<Consent['provision']>);
  void id;
  return body as Consent;
}

/** POSTs as the patient; answers the status and, for a 422, the paths and texts of its issues. */
async function post(patient: string, provision: Record<string, unknown>): Promise<{ status: number; paths: string[]; text: string; id?: string }> {
  const res = await call({ kind: 'patient', id: patient }, 'POST', '/Consent', of(patient, provision));
  const issues = (res.body?.issue ?? []) as { expression?: string[]; diagnostics?: string }[];
  return { status: res.status, paths: res.status === 422 ? issues.flatMap((i) => i.expression ?? []) : [], text: issues.map((i) => i.diagnostics).join(' '), id: res.body?.id };
}

describe('refused with 422 naming the part, nothing stored', () => {
  it('an actor without role, or with a role of another code system', async () => {
    const bare = await post('p1', { type: 'deny', actor: [{ reference: { identifier: { system: IDNAT, value: '810000000501' } } }] });
    expect([bare.status, bare.text]).toEqual([422, expect.stringMatching(/role/)]);
    const snomed = await post('p1', { type: 'deny', actor: [{ role: { coding: [{ system: 'http://snomed.info/sct', code: 'IRCP' }] }, reference: { identifier: { system: IDNAT, value: '810000000501' } } }] });
    expect([snomed.status, snomed.text]).toEqual([422, expect.stringContaining('provision.actor.role')]);
    expect((await call(dr('10000000501'), 'GET', '/DocumentReference/d1')).status).toBe(404); // not authorised, and nothing stored
  });

  it('a block « for research » (a purpose a block cannot state) is refused, not stored as a block for everything', async () => {
    const research = await post('p1', { type: 'deny', actor: [byRpps(RPPS.spec)], purpose: purpose('HRESCH') });
    expect([research.status, research.paths]).toEqual([422, ['Consent.provision.purpose[0]']]);
    const care = await post('p1', { type: 'deny', actor: [byRpps(RPPS.spec)], purpose: purpose('TREAT') });
    expect([care.status, care.paths]).toEqual([422, ['Consent.provision.purpose[0]']]);
    // The specialist she authorised still reads: nothing was stored.
    expect((await call(dr(RPPS.spec), 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('an opening « for » a purpose of another code system is refused, not stored as an opening of the whole record', async () => {
    const other = await post('p3', { type: 'permit', purpose: [{ system: 'http://snomed.info/sct', code: '386053000' }] });
    expect([other.status, other.paths]).toEqual([422, ['Consent.provision.purpose[0]']]);
    // p3 stays never opened: no emergency access to it.
    expect((await call(btg, 'GET', '/DocumentReference/f1')).status).toBe(404);
  });

  it('an emergency refusal spelled with the OID of v3-ActReason, or in lower case, is refused naming its purpose', async () => {
    const oid = await post('p1', { type: 'deny', purpose: [{ system: 'urn:oid:2.16.840.1.113883.5.8', code: 'BTG' }] });
    expect([oid.status, oid.paths]).toEqual([422, ['Consent.provision.purpose[0]']]);
    const lower = await post('p1', { type: 'deny', purpose: [{ system: ACT_REASON, code: 'btg' }] });
    expect([lower.status, lower.paths]).toEqual([422, ['Consent.provision.purpose[0]']]);
    expect((await call(btg, 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('a bare permit nested under a block or an authorisation does not open a record never opened', async () => {
    for (const p of [{ type: 'deny', actor: [byRpps('10000000502')], provision: [{ type: 'permit' }] }, { type: 'permit', actor: [byRpps('10000000503')], provision: [{ type: 'permit' }] }]) {
      const res = await post('p3', p);
      expect([res.status, res.paths]).toEqual([422, ['Consent.provision.provision[0]']]);
    }
    expect((await call(btg, 'GET', '/DocumentReference/f1')).status).toBe(404);
    expect((await call(dr('10000000503'), 'GET', '/DocumentReference/f1')).status).toBe(404);
  });

  it('« d1 masked, except for Dr X » is refused, not read as an authorisation of Dr X on the whole record', async () => {
    const res = await post('p1', { type: 'deny', data: maskDoc('d1'), provision: [{ type: 'permit', actor: [byRpps('10000000508')] }] });
    expect([res.status, res.paths]).toEqual([422, ['Consent.provision.provision[0]']]);
    expect((await call(dr('10000000508'), 'GET', '/DocumentReference/d5')).status).toBe(404);
    expect((await call(dr(RPPS.spec), 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('a mask of what a document authored (meaning authoredby) is refused naming its meaning', async () => {
    const res = await post('p1', { type: 'deny', data: [{ meaning: 'authoredby', reference: { reference: 'DocumentReference/d1' } }] });
    expect([res.status, res.paths]).toEqual([422, ['Consent.provision.data[0].meaning']]);
    expect((await call(dr(RPPS.spec), 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('a block whose period ends before it starts (it would never hold) is refused naming the period', async () => {
    const res = await post('p1', { type: 'deny', actor: [byRpps(RPPS.spec)], period: { start: '2026-12-31', end: '2026-01-01' } });
    expect([res.status, res.text]).toEqual([422, expect.stringContaining('provision.period ends before it starts')]);
    // An unreadable bound is no period either.
    const garbage = await post('p1', { type: 'deny', actor: [byRpps(RPPS.spec)], period: { start: '2026-01-01', end: '2026-13-45' } });
    expect(garbage.status).toBe(422);
    expect((await call(dr(RPPS.spec), 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('an emergency refusal three levels down under an authorisation is refused like one directly under it', async () => {
    const res = await post('p1', { type: 'permit', provision: [{ type: 'permit', actor: [byRpps('10000000504')], provision: [{ type: 'deny', data: maskDoc('d5'), provision: [{ type: 'deny', purpose: purpose('BTG') }] }] }] });
    expect([res.status, res.text]).toEqual([422, expect.stringContaining('concerns every professional')]);
    expect((await call(btg, 'GET', '/DocumentReference/d1')).status).toBe(200);
  });
});

describe('read by a rule, as written', () => {
  it('a period with only an end: an authorisation that ended does not authorise, one that has not does', async () => {
    expect((await post('p1', { type: 'permit', actor: [byRpps('10000000505')], period: { end: '2020-06-30' } })).status).toBe(201);
    expect((await post('p1', { type: 'permit', actor: [byRpps('10000000506')], period: { end: '2099-01-01' } })).status).toBe(201);
    expect((await call(dr('10000000505'), 'GET', '/DocumentReference/d1')).status).toBe(404);
    expect((await call(dr('10000000506'), 'GET', '/DocumentReference/d1')).status).toBe(200);
    // A block with only an end holds until then.
    expect((await post('p1', { type: 'deny', actor: [byRpps('10000000506')], period: { end: '2099' } })).status).toBe(201);
    expect((await call(dr('10000000506'), 'GET', '/DocumentReference/d1')).status).toBe(404);
  });

  it('masks nested three deep under an authorisation are exceptions for that professional only', async () => {
    const res = await post('p1', { type: 'permit', actor: [byRpps('10000000507')], provision: [{ type: 'deny', data: maskDoc('d5'), provision: [{ type: 'deny', data: maskDoc('d1') }] }] });
    expect(res.status).toBe(201);
    for (const d of ['d1', 'd5']) {
      expect((await call(dr('10000000507'), 'GET', `/DocumentReference/${d}`)).status).toBe(404);
      expect((await call(dr(RPPS.spec), 'GET', `/DocumentReference/${d}`)).status).toBe(200);
    }
  });

  it('a mask naming a document of another record answers, then and after, as one naming no document', async () => {
    // p2's document, hidden from p2 until a professional shows it (INVISIBLE_PATIENT).
    await run.server.service.repo.update(systemContext(), {
      resourceType: 'DocumentReference', id: 'e9', status: 'current', subject: { reference: 'Patient/p2' },
      securityLabel: [{ coding: [{ system: A07, code: 'INVISIBLE_PATIENT' }] }], content: [{ attachment: { contentType: 'text/plain', data: 'ZQ==' } }],
    });
    const patient: MintOptions = { kind: 'patient', id: 'p1' };
    const answers: number[][] = [];
    for (const docs of [['e9'], ['no-such-doc'], ['e9', 'd1'], ['no-such-doc', 'd1']]) {
      const res = await post('p1', { type: 'deny', data: docs.flatMap((d) => maskDoc(d)) });
      const read = await call(patient, 'GET', `/Consent/${res.id}`);
      const found = await call(patient, 'GET', `/Consent?_id=${res.id}`);
      answers.push([res.status, read.status, found.body?.total]);
    }
    expect(answers).toEqual([[201, 200, 1], [201, 200, 1], [201, 200, 1], [201, 200, 1]]);
  });

  it('a very deep nesting is answered, not a server error', async () => {
    let p: Record<string, unknown> = { type: 'deny', purpose: purpose('ETREAT') };
    for (let i = 0; i < 400; i++) p = { type: 'permit', provision: [p] };
    const res = await post('p3', p);
    expect(res.status).toBeLessThan(500);
  });
});
