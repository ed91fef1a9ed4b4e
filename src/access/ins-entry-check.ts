import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Hooks } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import type { FhirRequest } from '../fhir/request';
import { explainInsProblem, INS_SYSTEMS, insSystemVariant } from '../validation/ins';

const WRITE_METHODS = ['POST', 'PUT', 'PATCH'];

function insIssue(system: string, value: string, expression: string): OperationOutcomeIssue | undefined {
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
function queryIssues(query: string, expression: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const [name, raw] of new URLSearchParams(query)) {
    if (name !== 'identifier' && !name.endsWith('.identifier')) continue;
    for (const token of raw.split(',')) {
      const bar = token.indexOf('|');
      const system = token.slice(0, bar);
      const variant = bar < 0 ? undefined : variantIssue(system, expression);
      if (variant) issues.push(variant);
      if (bar < 0 || !INS_SYSTEMS.includes(system)) continue;
      const issue = insIssue(system, token.slice(bar + 1), expression);
      if (issue) issues.push(issue);
    }
  }
  return issues;
}

/** A conditional Patient reference or request URL (`Patient?identifier=…`), checked like an identifier. */
function conditionalIssues(text: string, expression: string): OperationOutcomeIssue[] {
  const m = /^(?:.*\/)?Patient\?(.*)$/.exec(text);
  return m ? queryIssues(m[1], expression) : [];
}

/**
 * Every INS in a written JSON body: identifiers anywhere (a Patient's, a contained `sourcePatientInfo` Patient's,
 * a reference by identifier), conditional references `Patient?identifier=<INS system>|<value>`, and a Bundle
 * entry's conditional request URL or If-None-Exist.
 */
export function findInsProblems(node: unknown, path: string, out: OperationOutcomeIssue[] = []): OperationOutcomeIssue[] {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findInsProblems(item, `${path}[${i}]`, out));
    return out;
  }
  if (!node || typeof node !== 'object' || Buffer.isBuffer(node)) return out;
  const o = node as Record<string, unknown>;
  const variant = typeof o.system === 'string' && typeof o.value === 'string' ? variantIssue(o.system, `${path}.system`) : undefined;
  if (variant) out.push(variant);
  if (typeof o.system === 'string' && INS_SYSTEMS.includes(o.system) && typeof o.value === 'string') {
    const issue = insIssue(o.system, o.value, `${path}.value`);
    if (issue) out.push(issue);
  }
  if (typeof o.reference === 'string') out.push(...conditionalIssues(o.reference, `${path}.reference`));
  if (typeof o.url === 'string' && typeof o.method === 'string') out.push(...conditionalIssues(o.url, `${path}.url`));
  if (typeof o.ifNoneExist === 'string' && typeof o.url === 'string' && /^Patient\b/.test(o.url)) out.push(...queryIssues(o.ifNoneExist, `${path}.ifNoneExist`));
  for (const [key, value] of Object.entries(o)) {
    if (value && typeof value === 'object') findInsProblems(value, `${path}.${key}`, out);
  }
  return out;
}

/** The INS problems of a write request: its body, and its own conditional URL or If-None-Exist for a Patient. */
export function requestInsProblems(req: FhirRequest): OperationOutcomeIssue[] {
  if (!WRITE_METHODS.includes(req.method)) return [];
  const issues: OperationOutcomeIssue[] = [];
  if (req.segments[0] === 'Patient' && req.segments.length === 1) {
    issues.push(...queryIssues(new URLSearchParams(req.query).toString(), 'Patient?identifier'));
    if (req.headers.ifNoneExist) issues.push(...queryIssues(req.headers.ifNoneExist, 'If-None-Exist'));
  }
  const body = req.body as { resourceType?: unknown } | undefined;
  if (body && !Buffer.isBuffer(body)) {
    findInsProblems(body, typeof body.resourceType === 'string' ? body.resourceType : 'body', issues);
  }
  return issues;
}

/**
 * The INS control key, checked wherever an INS enters by a FHIR write (DESIGN §5 "Identity"): a Patient, an ITI-65
 * bundle's references and contained `sourcePatientInfo`, conditional references and URLs. A malformed INS → 422
 * naming it, before anything is looked up or written. (CDA imports: `cda/header/patient.ts`; tokens:
 * `auth/claims-to-actor.ts`.)
 */
export function insEntryHook(): Hooks {
  return {
    async interceptRequest(_svc, _ctx, req, next) {
      const issues = requestInsProblems(req);
      if (issues.length) throw unprocessable(issues);
      return next(req);
    },
  };
}
