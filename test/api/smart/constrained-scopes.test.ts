import { GP_RPPS, startPortalServer, type PortalServer } from '../portal/portal-harness';

// Issue 15: a SMART v2 constrained scope (`patient/Observation.rs?category=laboratory`) is parsed but grants nothing
// until the access predicate can narrow a type by a search parameter (see src/access/README.md, "Constrained
// scopes"): closed at every hop — read, search, include, $everything — never the whole type.

let s: PortalServer;
let observationId: string;

beforeAll(async () => {
  s = await startPortalServer();
  const imported = await s.importCda(await s.token({ kind: 'practitioner', id: GP_RPPS }), 'cr-bio-thyroid-panel.xml');
  if (imported.status !== 201) throw new Error(`import: ${imported.status}`);
  observationId = imported.body.entry.map((e: any) => e.resource).find((r: any) => r?.resourceType === 'Observation').id;
}, 180_000);
afterAll(() => s?.close());

const as = async (scope: string) => s.token({ kind: 'patient', id: 'helene', scope });

test('the full Observation scope reads the laboratory result (the control)', async () => {
  const token = await as('patient/Observation.rs');
  expect((await s.fhir(token, 'GET', `/Observation/${observationId}`)).status).toBe(200);
  const found = await s.fhir(token, 'GET', '/Observation?category=laboratory');
  expect(found.status).toBe(200);
  expect(found.body.total).toBeGreaterThan(0);
});

test('a constrained scope alone grants neither read, search, include nor $everything', async () => {
  const token = await as('patient/Observation.rs?category=laboratory');
  const answers = await Promise.all([
    s.fhir(token, 'GET', `/Observation/${observationId}`),
    s.fhir(token, 'GET', '/Observation?category=laboratory'),
    s.fhir(token, 'GET', '/Observation'),
    s.fhir(token, 'GET', `/DiagnosticReport?_include=DiagnosticReport:result`),
    s.fhir(token, 'GET', '/Patient/helene/$everything'),
  ]);
  for (const answer of answers) {
    expect(answer.status).toBe(403);
    expect(answer.body.resourceType).toBe('OperationOutcome');
  }
});
