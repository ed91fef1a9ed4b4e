import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

/** Element properties a constraining differential may set; everything else is inherited from the base. */
const OVERRIDABLE: readonly (keyof ElementDefinition)[] = [
  'short',
  'definition',
  'comment',
  'requirements',
  'min',
  'max',
  'type',
  'mustSupport',
  'binding',
  'meaningWhenMissing',
];

/**
 * Builds the snapshot of a constraining profile from its base snapshot and its differential (FHIR R4
 * §2.13 profiling): elements matched by id, cardinality/type/binding/fixed/pattern overridden,
 * constraints appended. Slices and elements inside datatypes are not supported and throw, naming
 * the element (@medplum/core would ignore constraints inside a datatype anyway: state them as
 * invariants on the element that holds the datatype).
 */
export function buildSnapshot(profile: StructureDefinition, base: StructureDefinition, source: string): StructureDefinition {
  const baseElements = base.snapshot?.element;
  if (!baseElements?.length) throw new Error(`${source}: the base ${base.url} has no snapshot`);
  const elements = baseElements.map((element) => structuredClone(element));
  const byId = new Map(elements.map((element) => [element.id ?? element.path, element]));

  for (const diff of profile.differential?.element ?? []) {
    const id = diff.id ?? diff.path;
    const target = byId.get(id);
    if (!target) {
      throw new Error(`${source}: element '${id}' is not in ${base.type}; slices and datatype children need a hand-written snapshot`);
    }
    mergeElement(target, diff, profile.url ?? source);
  }
  return { ...profile, snapshot: { element: elements } };
}

function mergeElement(target: ElementDefinition, diff: ElementDefinition, profileUrl: string): void {
  const writable = target as unknown as Record<string, unknown>;
  for (const key of OVERRIDABLE) {
    if (diff[key] !== undefined) writable[key] = structuredClone(diff[key]);
  }
  for (const [key, value] of Object.entries(diff)) {
    if (key.startsWith('fixed') || key.startsWith('pattern')) writable[key] = structuredClone(value);
  }
  if (diff.constraint?.length) {
    target.constraint = [...(target.constraint ?? []), ...diff.constraint.map((c) => ({ ...c, source: c.source ?? profileUrl }))];
  }
}
