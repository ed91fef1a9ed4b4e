import type { Consent } from '@medplum/fhirtypes';
import { provisionsReadOtherwise, toldWithoutEffect } from '../../../src/access/consent-effect';
import { parseConsent } from '../../../src/access/consent-rules';
import { buildConsent } from '../../support/consent';

// Rule (src/access/README.md, "Consents without effect"): each provision of a Consent in force whose shape writes now
// refuse (422) is listed with how its stored rules read it; an ordinary shape is not. Expected readings come from the
// rules: a period ending before it starts never holds, a block « for » a purpose other than an emergency refusal is a
// block for everything; closed by default (migration 172), a bare permit under a provision naming someone and an opening
// « for » a purpose of another code system open nothing any more, and an authorisation under a masked document
// authorises nobody.

const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };
const DR_X = { role: IRCP, reference: { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810000000501' } } };
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const stored = (p: Record<string, unknown>, status: Consent['status'] = 'active'): Consent => buildConsent('c', 'p1', p as NonNullable<Consent['provision']>, status);
const paths = (c: Consent) => provisionsReadOtherwise(c).map((r) => r.path);

test('a block whose period ends before it starts is listed: it never holds', () => {
  const c = stored({ type: 'deny', actor: [DR_X], period: { start: '2024-06-01', end: '2020-01-01' } });
  expect(paths(c)).toEqual(['Consent.provision']);
  expect(provisionsReadOtherwise(c)[0].text).toMatch(/^Ce blocage a une période qui se termine avant de commencer : il ne s’applique jamais\./);
  expect(toldWithoutEffect(c)).toBe(true);
  expect(parseConsent(c).problems.length).toBeGreaterThan(0);
});

test('a bare permit nested under a block is listed as without effect: it no longer opens the record', () => {
  const c = stored({ type: 'deny', actor: [DR_X], provision: [{ type: 'permit' }] });
  expect(paths(c)).toEqual(['Consent.provision.provision[0]']);
  expect(provisionsReadOtherwise(c)[0].text).toContain('elle est désormais sans effet et n’ouvre pas votre dossier');
  expect(parseConsent(c).rules.some((r) => r.kind === 'open')).toBe(false);
});

test('an authorisation nested under a masked document is listed as without effect, the mask as holding for everyone', () => {
  const c = stored({ type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d1' } }], provision: [{ type: 'permit', actor: [DR_X] }] });
  expect(paths(c)).toEqual(['Consent.provision.provision[0]']);
  expect(provisionsReadOtherwise(c)[0].text).toContain('elle est désormais sans effet, et le document reste masqué pour tous les professionnels');
  expect(toldWithoutEffect(c)).toBe(true);
  expect(parseConsent(c).rules).toEqual([{ kind: 'mask', docId: 'd1' }]);
});

test('a block or a mask for research is listed as holding for every purpose', () => {
  const block = stored({ type: 'deny', actor: [DR_X], purpose: [{ system: ACT_REASON, code: 'HRESCH' }] });
  expect(paths(block)).toEqual(['Consent.provision']);
  expect(provisionsReadOtherwise(block)[0].text).toContain('le professionnel est bloqué pour tout usage, y compris pour vous soigner');
  const mask = stored({ type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d1' } }], purpose: [{ system: ACT_REASON, code: 'TREAT' }] });
  expect(provisionsReadOtherwise(mask)[0].text).toContain('le document est masqué pour tout usage');
});

test('a mask « authoredby » is listed as a mask of the document itself', () => {
  const c = stored({ type: 'deny', data: [{ meaning: 'authoredby', reference: { reference: 'DocumentReference/d1' } }] });
  expect(paths(c)).toEqual(['Consent.provision']);
  expect(provisionsReadOtherwise(c)[0].text).toContain('c’est le document lui-même qui est masqué aux professionnels');
});

test('an opening with a purpose of another code system is listed as without effect', () => {
  const c = stored({ type: 'permit', purpose: [{ system: 'http://snomed.info/sct', code: '386053000' }] });
  expect(paths(c)).toEqual(['Consent.provision']);
  expect(provisionsReadOtherwise(c)[0].text).toMatch(/^L’ouverture de votre dossier a été faite pour un usage particulier, que le DMP ne lit pas : lue un temps comme une ouverture pour vous soigner, elle est désormais sans effet\./);
});

test('ordinary shapes, and a withdrawn Consent, list nothing', () => {
  expect(paths(stored({ type: 'permit' }))).toEqual([]);
  expect(paths(stored({ type: 'permit', actor: [DR_X], period: { start: '2020-01-01', end: '2020-01-01' } }))).toEqual([]);
  expect(paths(stored({ type: 'permit', actor: [DR_X], provision: [{ type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d1' } }] }] }))).toEqual([]);
  expect(paths(stored({ type: 'deny', purpose: [{ system: ACT_REASON, code: 'BTG' }] }))).toEqual([]);
  expect(paths(stored({ type: 'permit', actor: [DR_X], purpose: [{ system: ACT_REASON, code: 'TREAT' }] }))).toEqual([]);
  expect(paths(stored({ type: 'deny', actor: [DR_X], period: { start: '2024-06-01', end: '2020-01-01' } }, 'inactive'))).toEqual([]);
});
