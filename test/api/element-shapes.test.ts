import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

let t: TestApp;
let patientRef: { reference: string };
beforeAll(async () => {
  t = await createTestApp();
  const res = await post({ resourceType: 'Patient', name: [{ family: 'MARTIN' }] });
  patientRef = { reference: `Patient/${res.body.id}` };
});
afterAll(async () => {
  await t.close();
});

function post(body: Record<string, unknown>) {
  return request(t.app).post(`/fhir/${String(body.resourceType)}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
}

describe('a value of the wrong JSON shape is refused through HTTP', () => {
  it.each([
    ['a string for a CodeableConcept', { resourceType: 'Condition', clinicalStatus: 'banana' }, 'Condition.clinicalStatus'],
    ['a string for a Quantity', { resourceType: 'Observation', status: 'final', code: { text: 'Poids' }, valueQuantity: 'lots' }, 'Observation.valueQuantity'],
    ['a number for a CodeableConcept', { resourceType: 'Observation', status: 'final', code: 5 }, 'Observation.code'],
    ['an array for a single CodeableConcept', { resourceType: 'Observation', status: 'final', code: [{ text: 'Poids' }] }, 'Observation.code'],
    ['an object for a repeating element', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, category: { text: 'x' } }, 'Observation.category'],
    ['an object for a primitive', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, issued: { value: 'x' } }, 'Observation.issued'],
  ])('answers 422 naming the element for %s, and writes nothing', async (_label, resource, expression) => {
    const res = await post({ subject: patientRef, ...resource });
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.map((i: { expression?: string[] }) => i.expression?.[0])).toContain(expression);
    const search = await request(t.app).get(`/fhir/${resource.resourceType}?subject=${patientRef.reference}&_summary=count`);
    expect(search.body.total).toBe(0);
  });
});
