import { FhirError } from '../../../src/fhir/errors';
import { MAX_HAS_DEPTH, MAX_HAS_PER_SEARCH, parseSearch } from '../../../src/fhir/search/parse';

// FHIR R4 §3.1.1.4.9 reverse chaining, as parsed: the inner parameter is any filter of the pointing type, and every
// malformed part is a 400 naming it, whether or not the client asked for strict handling.

const parse = (query: string, searchable?: (type: string) => boolean) =>
  parseSearch(query.split('?')[0], [...new URLSearchParams(query.split('?')[1]).entries()], false, { searchable });

function refusal(query: string, searchable?: (type: string) => boolean): string {
  try {
    parse(query, searchable);
  } catch (err) {
    expect(err).toBeInstanceOf(FhirError);
    expect((err as FhirError).status).toBe(400);
    return JSON.stringify((err as FhirError).outcome);
  }
  throw new Error(`${query} was accepted`);
}

test('parses _has:Type:referenceParam:searchParam with the inner modifier', () => {
  const [filter] = parse('Patient?_has:Observation:patient:code:not=1234-5').filters;
  expect(filter.has).toMatchObject({ sourceType: 'Observation', param: 'patient' });
  expect(filter.has?.filter).toMatchObject({ def: { code: 'code' }, modifier: 'not', values: ['1234-5'] });
});

test('parses a nested _has, and refuses one nested deeper than the limit', () => {
  const [filter] = parse('Patient?_has:Observation:patient:_has:Observation:has-member:value-quantity=gt5').filters;
  expect(filter.has?.filter.has).toMatchObject({ sourceType: 'Observation', param: 'has-member' });
  const deep = `Patient?${'_has:Observation:patient:_has:Observation:has-member:'}_has:Observation:has-member:code=x`;
  expect(refusal(deep)).toContain(`at most ${MAX_HAS_DEPTH} levels`);
});

test('refuses more reverse chains in one search than the limit', () => {
  const many = Array.from({ length: MAX_HAS_PER_SEARCH + 1 }, (_, i) => `_has:Observation:patient:code=c${i}`).join('&');
  expect(refusal(`Patient?${many}`)).toContain(`at most ${MAX_HAS_PER_SEARCH} _has`);
  expect(parse(`Patient?${many.split('&').slice(1).join('&')}`).filters).toHaveLength(MAX_HAS_PER_SEARCH);
});

test('refuses a type the server does not search, even when FHIR knows it', () => {
  expect(refusal('Patient?_has:Claim:patient:_id=x', (t) => t !== 'Claim')).toContain('Claim');
  expect(parse('Patient?_has:Claim:patient:_id=x').filters).toHaveLength(1);
});

test('refuses a non-reference parameter, a reference that cannot point at the searched type, an unknown inner parameter', () => {
  expect(refusal('Patient?_has:Observation:code:code=x')).toContain('not a reference parameter');
  expect(refusal('Organization?_has:Observation:patient:code=x')).toContain('cannot point at Organization');
  expect(refusal('Patient?_has:Observation:patient:nope=x')).toContain('Unknown search parameter \\"nope\\" for Observation');
  expect(refusal('Patient?_has:Observation:patient=x')).toContain('_has:<Type>:<referenceParam>:<searchParam>');
});
