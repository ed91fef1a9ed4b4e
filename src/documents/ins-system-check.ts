import { unprocessable } from '../fhir/errors';
import { refusedInsSystemIssue, type InsSystemsPolicy } from '../validation/ins-test-systems';

/** Where a CDA header's patient identifiers are (as `cda/header/patient.ts` names them). */
const HEADER_ID = 'ClinicalDocument/recordTarget/patientRole/id';

/**
 * A CDA header (`$import`, an ITI-65 or ITI-105 document, mapped or not) whose patient is named under an INS system the
 * server refuses — the test or demo NIR in production, `../validation/ins-test-systems.ts` — is refused with 422 naming
 * the system, before its patient is looked up: it would otherwise be filed in the record that carries that test INS,
 * or answer "no record for this INS" as if the number named a real person. `where` places it in a submission.
 */
export function assertHeaderInsSystemsAccepted(identifiers: readonly { system: string; value: string }[], policy: InsSystemsPolicy, where?: string): void {
  const issues = identifiers.flatMap((id) => {
    const issue = refusedInsSystemIssue(policy, id.system, `${HEADER_ID}[@root='${id.system.replace(/^urn:oid:/, '')}']`);
    if (issue && where) issue.expression = [where, ...(issue.expression ?? [])];
    return issue ? [issue] : [];
  });
  if (issues.length) throw unprocessable(issues);
}
