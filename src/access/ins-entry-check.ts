import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Hooks } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import type { FhirRequest } from '../fhir/request';
import { explainInsProblem, INS_SYSTEMS, insSystemVariant } from '../validation/ins';
import { refusedInsSystemIssue, type InsSystemsPolicy } from '../validation/ins-test-systems';

const WRITE_METHODS = ['POST', 'PUT', 'PATCH'];
/** Every INS system accepted (outside production, or `INS_TEST_OIDS=allow`). */
const ALL_ACCEPTED: InsSystemsPolicy = { accepted: INS_SYSTEMS, refused: [] };

function insIssue(system: string, value: string, expression: string, policy: InsSystemsPolicy): OperationOutcomeIssue | undefined {
  // A test or demo INS in production names nobody real, however well-formed (ins-test-systems.ts).
  const refused = refusedInsSystemIssue(policy, system, expression);
  if (refused) return refused;
  const problem = explainInsProblem(value);
  if (!problem) return undefined;
  const text = `INS ${system}|${value}: ${problem}`;
  return { severity: 'error', code: 'value', diagnostics: text, details: { text }, expression: [expression] };
}

/**
 * An INS system spelt another way (`URN:OID:…`, the bare OID): refused, naming the one spelling. Otherwise the number
 * would enter as a plain identifier — not claimed by its record (one record per INS), not frozen as an identity trait
 * (a patient could add another person's INS to his own record), yet naming the INS authority to anyone reading it.
 */
function variantIssue(system: string, expression: string): OperationOutcomeIssue | undefined {
  const canonical = insSystemVariant(system);
  if (!canonical) return undefined;
  const text = `The INS system is written ${canonical} (not "${system}"): one spelling, so that an INS is always recognised as one`;
  return { severity: 'error', code: 'value', diagnostics: text, details: { text }, expression: [expression] };
}

/** INS tokens of a query string's `identifier` parameters (`identifier=<INS system>|<value>`). */
function queryIssues(query: string, expression: string, policy: InsSystemsPolicy): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const [name, raw] of new URLSearchParams(query)) {
    if (name !== 'identifier' && !name.endsWith('.identifier')) continue;
    for (const token of raw.split(',')) {
      const bar = token.indexOf('|');
      const system = token.slice(0, bar);
      const variant = bar < 0 ? undefined : variantIssue(system, expression);
      if (variant) issues.push(variant);
      if (bar < 0 || !INS_SYSTEMS.includes(system)) continue;
      const issue = insIssue(system, token.slice(bar + 1), expression, policy);
      if (issue) issues.push(issue);
    }
  }
  return issues;
}

/** A conditional Patient reference or request URL (`Patient?identifier=…`), checked like an identifier. */
function conditionalIssues(text: string, expression: string, policy: InsSystemsPolicy): OperationOutcomeIssue[] {
  const m = /^(?:.*\/)?Patient\?(.*)$/.exec(text);
  return m ? queryIssues(m[1], expression, policy) : [];
}

/**
 * Every INS in a written JSON body: identifiers anywhere (a Patient's, a contained `sourcePatientInfo` Patient's,
 * a reference by identifier), conditional references `Patient?identifier=<INS system>|<value>`, and a Bundle
 * entry's conditional request URL or If-None-Exist. Under `policy`, an INS of a refused system (test or demo NIR in
 * production) is a problem too.
 */
export function findInsProblems(node: unknown, path: string, out: OperationOutcomeIssue[] = [], policy: InsSystemsPolicy = ALL_ACCEPTED): OperationOutcomeIssue[] {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findInsProblems(item, `${path}[${i}]`, out, policy));
    return out;
  }
  if (!node || typeof node !== 'object' || Buffer.isBuffer(node)) return out;
  const o = node as Record<string, unknown>;
  const variant = typeof o.system === 'string' && typeof o.value === 'string' ? variantIssue(o.system, `${path}.system`) : undefined;
  if (variant) out.push(variant);
  if (typeof o.system === 'string' && INS_SYSTEMS.includes(o.system) && typeof o.value === 'string') {
    const issue = insIssue(o.system, o.value, `${path}.value`, policy);
    if (issue) out.push(issue);
  }
  if (typeof o.reference === 'string') out.push(...conditionalIssues(o.reference, `${path}.reference`, policy));
  if (typeof o.url === 'string' && typeof o.method === 'string') out.push(...conditionalIssues(o.url, `${path}.url`, policy));
  if (typeof o.ifNoneExist === 'string' && typeof o.url === 'string' && /^Patient\b/.test(o.url)) out.push(...queryIssues(o.ifNoneExist, `${path}.ifNoneExist`, policy));
  for (const [key, value] of Object.entries(o)) {
    if (value && typeof value === 'object') findInsProblems(value, `${path}.${key}`, out, policy);
  }
  return out;
}

/** The INS problems of a write request: its body, and its own conditional URL or If-None-Exist for a Patient. */
export function requestInsProblems(req: FhirRequest, policy: InsSystemsPolicy = ALL_ACCEPTED): OperationOutcomeIssue[] {
  if (!WRITE_METHODS.includes(req.method)) return [];
  const issues: OperationOutcomeIssue[] = [];
  if (req.segments[0] === 'Patient' && req.segments.length === 1) {
    issues.push(...queryIssues(new URLSearchParams(req.query).toString(), 'Patient?identifier', policy));
    if (req.headers.ifNoneExist) issues.push(...queryIssues(req.headers.ifNoneExist, 'If-None-Exist', policy));
  }
  const body = req.body as { resourceType?: unknown } | undefined;
  if (body && !Buffer.isBuffer(body)) {
    findInsProblems(body, typeof body.resourceType === 'string' ? body.resourceType : 'body', issues, policy);
  }
  return issues;
}

/**
 * The INS control key, checked wherever an INS enters by a FHIR write (DESIGN §5 "Identity"): a Patient, an ITI-65
 * bundle's references and contained `sourcePatientInfo`, conditional references and URLs. A malformed INS → 422
 * naming it, before anything is looked up or written. So is an INS under a system `policy` refuses (the test and demo
 * NIR in production: a Patient create or update, an online record creation, `$update-identity`, an ITI-65 subject, a
 * feeder's conditional look-up). (CDA imports: `cda/header/patient.ts`, and `documents/ins-system-check.ts` for the
 * systems; tokens: `auth/claims-to-actor.ts`.)
 */
export function insEntryHook(policy: InsSystemsPolicy = ALL_ACCEPTED): Hooks {
  return {
    async interceptRequest(_svc, _ctx, req, next) {
      const issues = requestInsProblems(req, policy);
      if (issues.length) throw unprocessable(issues);
      return next(req);
    },
  };
}
