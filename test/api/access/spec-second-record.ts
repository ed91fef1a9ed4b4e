import type { Resource } from '@medplum/fhirtypes';
import { byRpps, consent, INS_NIR, RPPS } from './fixture';

/**
 * p5: a second record the specialist is authorised in, beside the fixture's p1, whose one Observation sorts before
 * p1's by id (descending): a page of `Observation?_sort=-_id&_count=1` shows p5's row and its total counts p1's too.
 */
export const SPEC_SECOND_RECORD: Resource[] = [
  { resourceType: 'Patient', id: 'p5', identifier: [{ system: INS_NIR, value: '290012100100112' }], name: [{ family: 'Roux', given: ['Test'] }], gender: 'female', birthDate: '1990-01-01' },
  consent('c5-open', 'p5', { type: 'permit' }),
  consent('c5-spec', 'p5', { type: 'permit', actor: [byRpps(RPPS.spec)] }),
  { resourceType: 'Observation', id: 'zz5-obs', status: 'final', code: { text: 'glycémie' }, subject: { reference: 'Patient/p5' } } as Resource,
];
