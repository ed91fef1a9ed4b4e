import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiagnosticReport } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// A report's date is the exam's (documentationOf/serviceEvent/effectiveTime), not the day the document was written.
// fixtures/cda/lab-report-two-results.xml: exam 15 January 2024 08:00–10:00 (+01:00); the copy below has no
// documentationOf, so the exam's date is not in the document.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'), 'utf8');

describe('a report dated by its exam, never by the document', () => {
  it('dates the lab report by the serviceEvent', () => {
    const [report] = resourcesOf<DiagnosticReport>(planCdaImport(Buffer.from(FIXTURE)).bundle, 'DiagnosticReport');
    expect(report.effectiveDateTime).toBe('2024-01-15T08:00:00+01:00');
  });

  it('gives a lab report without a serviceEvent no effective date, and says so', () => {
    const plan = planCdaImport(Buffer.from(FIXTURE.replace(/<documentationOf>[\s\S]*?<\/documentationOf>/, '')));
    const [report] = resourcesOf<DiagnosticReport>(plan.bundle, 'DiagnosticReport');
    expect(report.effectiveDateTime).toBeUndefined();
    expect(plan.warnings).toContain("Lab report 1: no exam date (documentationOf/serviceEvent/effectiveTime); the document's date is not taken for it");
  });
});
