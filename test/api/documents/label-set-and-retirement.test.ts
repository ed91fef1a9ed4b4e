import type { AllergyIntolerance, CodeableConcept, Condition, Observation, Patient } from '@medplum/fhirtypes';
import { retireExtracted, SUPERSEDED_TAG } from '../../../src/documents/retire-extracted';
import { applyLabelOperations, VISIBILITY_SYSTEM } from '../../../src/documents/security-labels';
import { FhirError } from '../../../src/fhir/errors';

const conf = (code: string): CodeableConcept => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code }] });
const flag = (code: string): CodeableConcept => ({ coding: [{ system: VISIBILITY_SYSTEM, code }] });
const codes = (labels: CodeableConcept[]) => labels.map((l) => l.coding?.[0]?.code);

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as FhirError).status;
  }
  return undefined;
}

describe('security labels patched as a set (TD3.3)', () => {
  it('keeps a restricted document restricted when it is unmasked', () => {
    expect(codes(applyLabelOperations([conf('R'), flag('MASQUE_PS')], [{ op: 'replace', path: '/securityLabel/1', value: conf('N') }]))).toEqual(['R']);
  });

  it('changes the confidentiality code when a code replaces a code', () => {
    expect(codes(applyLabelOperations([conf('N'), flag('INVISIBLE_PATIENT')], [{ op: 'replace', path: '/securityLabel/0', value: conf('V') }]))).toEqual(['V', 'INVISIBLE_PATIENT']);
  });

  it('does not duplicate a flag already present', () => {
    expect(codes(applyLabelOperations([conf('N'), flag('MASQUE_PS')], [{ op: 'add', path: '/securityLabel/-', value: flag('MASQUE_PS') }]))).toEqual(['N', 'MASQUE_PS']);
  });

  it('merges a whole-array replacement into the set instead of overwriting it', () => {
    expect(codes(applyLabelOperations([conf('N'), flag('MASQUE_PS')], [{ op: 'replace', path: '/securityLabel', value: [flag('INVISIBLE_REPRESENTANTS_LEGAUX')] }]))).toEqual(['N', 'MASQUE_PS', 'INVISIBLE_REPRESENTANTS_LEGAUX']);
  });

  it('removes a flag but refuses to remove the confidentiality code', () => {
    expect(codes(applyLabelOperations([conf('N'), flag('MASQUE_PS')], [{ op: 'remove', path: '/securityLabel/1' }]))).toEqual(['N']);
    expect(statusOf(() => applyLabelOperations([conf('N')], [{ op: 'remove', path: '/securityLabel/0' }]))).toBe(422);
  });

  it('answers 405 for a patch inside one label and 422 for a code outside the DMP value set', () => {
    expect(statusOf(() => applyLabelOperations([conf('N')], [{ op: 'replace', path: '/securityLabel/0/coding/0/code', value: 'R' }]))).toBe(405);
    expect(statusOf(() => applyLabelOperations([conf('N')], [{ op: 'add', path: '/securityLabel/-', value: flag('MASQUE_PT') }]))).toBe(422);
  });
});

describe('retiring resources extracted from a replaced document', () => {
  it('marks an observation entered-in-error and tags why', () => {
    const retired = retireExtracted({ resourceType: 'Observation', status: 'final', code: { text: 'x' } } as Observation) as Observation;
    expect(retired.status).toBe('entered-in-error');
    expect(retired.meta?.tag).toContainEqual(SUPERSEDED_TAG);
  });

  it('sets verificationStatus and drops clinicalStatus for allergies and conditions (ait-2, con-5)', () => {
    const allergy = retireExtracted({ resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p' }, clinicalStatus: { coding: [{ code: 'active' }] } } as AllergyIntolerance) as AllergyIntolerance;
    expect(allergy.verificationStatus?.coding?.[0].code).toBe('entered-in-error');
    expect(allergy.clinicalStatus).toBeUndefined();
    const condition = retireExtracted({ resourceType: 'Condition', subject: { reference: 'Patient/p' }, clinicalStatus: { coding: [{ code: 'active' }] } } as Condition) as Condition;
    expect(condition.verificationStatus?.coding?.[0].code).toBe('entered-in-error');
    expect(condition.clinicalStatus).toBeUndefined();
  });

  it('leaves already retired resources and types without a status alone', () => {
    expect(retireExtracted({ resourceType: 'Observation', status: 'entered-in-error', code: { text: 'x' } } as Observation)).toBeUndefined();
    expect(retireExtracted({ resourceType: 'Patient' } as Patient)).toBeUndefined();
  });
});
