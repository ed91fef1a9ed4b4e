import type { ErrorObject } from 'ajv';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Converts a JSON pointer (`/name/0/given`) into a FHIRPath (`Patient.name[0].given`). */
export function toFhirPath(rootType: string, instancePath: string): string {
  let path = rootType;
  if (!instancePath) return path;
  for (const raw of instancePath.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return path;
}

/** Converts ajv errors into OperationOutcome issues, one per distinct problem, each with its FHIRPath. */
export function toSchemaIssues(resource: unknown, errors: ErrorObject[]): OperationOutcomeIssue[] {
  const rootType = rootTypeOf(resource);
  const issues: OperationOutcomeIssue[] = [];
  const seen = new Set<string>();
  const missingTypeAt = new Set(
    errors.filter((e) => e.keyword === 'required' && e.params.missingProperty === 'resourceType').map((e) => e.instancePath),
  );
  // A value of the wrong JSON type also fails its datatype's pattern (`"yes"` for a boolean): say it once.
  const wrongTypeAt = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const error of errors) {
    // "resourceType must be a string" repeats "resourceType is required" when it is simply absent.
    if (error.keyword === 'discriminator' && error.params.error === 'tag' && missingTypeAt.has(error.instancePath)) continue;
    if (error.keyword === 'pattern' && wrongTypeAt.has(error.instancePath)) continue;
    // An object where a primitive belongs (`div: {}`) is reported once, not also for the value it lacks.
    if (error.keyword === 'required' && wrongTypeAt.has(error.instancePath)) continue;
    const issue = toIssue(rootType, resource, error);
    const key = `${issue.expression?.[0]}|${issue.diagnostics}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function toIssue(rootType: string, resource: unknown, error: ErrorObject): OperationOutcomeIssue {
  const at = toFhirPath(rootType, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const name = String(params.missingProperty);
      // A choice (`medication[x]`) is named `medication` in FHIRPath.
      return issue('required', `Missing required property '${name}'`, `${at}.${name.replace(/\[x\]$/, '')}`);
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      return issue('structure', `Unknown property '${name}'`, `${at}.${name}`);
    }
    case 'type':
      return issue('structure', `Expected ${String(params.type)}, found ${describeType(valueAt(resource, error.instancePath))}`, at);
    case 'pattern':
      return issue('value', `Invalid ${datatypeOf(error.schemaPath) ?? 'value'} ${quote(valueAt(resource, error.instancePath))}`, at);
    case 'enum':
      return issue(
        'value',
        `Invalid value ${quote(valueAt(resource, error.instancePath))}; expected one of: ${(params.allowedValues as unknown[]).join(', ')}`,
        at,
      );
    case 'const':
      return issue('value', `Invalid value ${quote(valueAt(resource, error.instancePath))}; expected ${quote(params.allowedValue)}`, at);
    case 'discriminator':
      return params.error === 'mapping'
        ? issue('invalid', `Unknown resource type ${quote(params.tagValue)}`, `${at}.resourceType`)
        : issue('structure', `resourceType must be a string`, `${at}.resourceType`);
    case 'fhirCalendarDay':
      return issue('value', `Invalid ${/#\/definitions\/([A-Za-z]+)\//.exec(error.schemaPath)?.[1] ?? 'date'} ${quote(valueAt(resource, error.instancePath))}: no such day in the calendar`, at);
    case 'minItems':
      return issue('structure', `Array must not be empty`, at);
    default:
      return issue('invalid', `${at} ${error.message ?? 'is invalid'}`, at);
  }
}

function issue(code: OperationOutcomeIssue['code'], diagnostics: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code, diagnostics, expression: [expression] };
}

function rootTypeOf(resource: unknown): string {
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  return typeof type === 'string' && /^[A-Za-z]+$/.test(type) ? type : 'Resource';
}

/** `#/definitions/date/pattern` → `date`: names the FHIR datatype whose format was violated. */
function datatypeOf(schemaPath: string): string | undefined {
  return /#\/definitions\/([A-Za-z0-9]+)\/pattern$/.exec(schemaPath)?.[1];
}

function valueAt(root: unknown, pointer: string): unknown {
  let value = root;
  if (!pointer) return value;
  for (const raw of pointer.slice(1).split('/')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Quotes a value for a diagnostic, cut short so that a huge string never lands in a response or a log. */
function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const short = text === undefined ? 'undefined' : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `'${short}'`;
}
