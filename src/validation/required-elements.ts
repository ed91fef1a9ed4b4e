import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';

/** The JSON schema's definitions, as far as this module walks them. */
type Definitions = Record<string, { properties?: Record<string, { $ref?: string; items?: { $ref?: string } }>; required?: string[] }>;

/**
 * The FHIR JSON schema leaves out required primitive elements (`Observation.status`,
 * `Binary.contentType`, `AuditEvent.agent.requestor` …: JSON may carry them as `_status` alone) and
 * required choices (`MedicationStatement.medication[x]`). This reads them from the StructureDefinition
 * snapshots and returns, per schema definition name, the element names the `fhirRequired` keyword must
 * find (a plain name is satisfied by `name` or `_name`; `name[x]` by any `nameType`).
 */
export function listRequiredElements(definitions: Definitions, bundles: Bundle[]): Map<string, string[]> {
  const required = new Map<string, string[]>();
  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined;
      if (sd?.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint' || !sd.type) continue;
      for (const element of sd.snapshot?.element ?? []) {
        const id = element.id ?? element.path;
        if (!element.min || id.includes(':') || !id.includes('.')) continue;
        const segments = id.split('.');
        const name = segments[segments.length - 1];
        const definition = resolveDefinition(definitions, sd.type, segments.slice(1, -1));
        if (!definition || definitions[definition].required?.includes(name)) continue;
        const names = required.get(definition) ?? [];
        if (!names.includes(name)) names.push(name);
        required.set(definition, names);
      }
    }
  }
  return required;
}

/** Follows `$ref`s from a type's definition down a path of element names (`entry.request` → `Bundle_Request`). */
function resolveDefinition(definitions: Definitions, type: string, path: string[]): string | undefined {
  let current: string | undefined = definitions[type] ? type : undefined;
  for (const segment of path) {
    if (!current) return undefined;
    const property = definitions[current].properties?.[segment];
    const ref = property?.$ref ?? property?.items?.$ref;
    current = ref?.startsWith('#/definitions/') ? ref.slice('#/definitions/'.length) : undefined;
    if (current && !definitions[current]) return undefined;
  }
  return current;
}

/** The `fhirRequired` keyword's check: the names missing from a JSON object. */
export function findMissing(names: string[], data: Record<string, unknown>): string[] {
  return names.filter((name) => {
    if (name.endsWith('[x]')) {
      const prefix = name.slice(0, -3);
      return !Object.keys(data).some((key) => key.startsWith(prefix) && /^[A-Z]/.test(key.slice(prefix.length)));
    }
    return data[name] === undefined && data[`_${name}`] === undefined;
  });
}
