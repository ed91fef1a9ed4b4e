import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueCode = OperationOutcomeIssue['code'];

/** One error type for the whole server: an HTTP status and the OperationOutcome that explains it. */
export class FhirError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;
  readonly headers: Record<string, string>;

  constructor(status: number, outcome: OperationOutcome, headers: Record<string, string> = {}) {
    super(outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') || `HTTP ${status}`);
    this.name = 'FhirError';
    this.status = status;
    this.outcome = outcome;
    this.headers = headers;
  }
}

/**
 * A refusal answered as absence (DESIGN §5 "hidden is absent"): the caller gets `answer` — word for word what a missing
 * target gets — while the trail of the patient concerned files it as the refusal it is, with its real reason
 * (`fhir/denied-requests.ts` treats it as a 403 would be treated).
 */
export class HiddenRefusal extends FhirError {
  readonly deniedReason: string;

  constructor(answer: FhirError, deniedReason: string) {
    super(answer.status, answer.outcome, answer.headers);
    this.deniedReason = deniedReason;
  }
}

/** Builds an OperationOutcome from issues. */
export function buildOutcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** Builds a single-issue OperationOutcome. */
export function outcomeOf(severity: OperationOutcomeIssue['severity'], code: IssueCode, text: string, expression?: string[]): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, diagnostics: text, details: { text } };
  if (expression?.length) issue.expression = expression;
  return buildOutcome([issue]);
}

function error(status: number, code: IssueCode, text: string, expression?: string[]): FhirError {
  return new FhirError(status, outcomeOf('error', code, text, expression));
}

export const badRequest = (text: string, expression?: string[]): FhirError => error(400, 'invalid', text, expression);
export const unauthorized = (text: string, challenge = 'Bearer'): FhirError =>
  new FhirError(401, outcomeOf('error', 'login', text), { 'WWW-Authenticate': challenge });
export const forbidden = (text = 'Forbidden'): FhirError => error(403, 'forbidden', text);
export const notFound = (text: string): FhirError => error(404, 'not-found', text);
export const methodNotAllowed = (text: string): FhirError => error(405, 'not-supported', text);
export const notAcceptable = (text: string): FhirError => error(406, 'not-supported', text);
export const conflict = (text: string): FhirError => error(409, 'conflict', text);
export const gone = (text: string): FhirError => error(410, 'deleted', text);
export const preconditionFailed = (text: string): FhirError => error(412, 'conflict', text);
export const payloadTooLarge = (text: string): FhirError => error(413, 'too-costly', text);
export const unsupportedMediaType = (text: string): FhirError => error(415, 'not-supported', text);
export const tooManyRequests = (text: string): FhirError => error(429, 'throttled', text);
export const locked = (text: string): FhirError => error(423, 'lock-error', text);

/**
 * Most issues listed in one 422. A 2 MB Patient of 200,000 unknown members had answered 200,000 issues (23 MB, ten
 * times the request): the first ones tell the client what to fix, one more issue counts the rest.
 */
export const MAX_ISSUES = 100;

/** 422 with the validation problems (up to MAX_ISSUES), each carrying its FHIRPath expression. */
export function unprocessable(issues: OperationOutcomeIssue[] | string): FhirError {
  if (typeof issues === 'string') return error(422, 'processing', issues);
  if (issues.length <= MAX_ISSUES) return new FhirError(422, buildOutcome(issues));
  const more = `${issues.length - MAX_ISSUES} more problems are not listed`;
  return new FhirError(422, buildOutcome([...issues.slice(0, MAX_ISSUES), { severity: 'error', code: 'too-costly', diagnostics: more, details: { text: more } }]));
}

/** Informational outcome used for successful deletes and batch entries. */
export function allOk(text = 'All OK'): OperationOutcome {
  return outcomeOf('information', 'informational', text);
}
