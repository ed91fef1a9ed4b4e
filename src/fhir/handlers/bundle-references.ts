import type { Resource } from '@medplum/fhirtypes';

/** Replaces, everywhere in a resource, `reference` (and attachment `url`) values found in the map. */
export function rewriteReferences(resource: Resource, map: Map<string, string>): Resource {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'reference' || key === 'url') && typeof value === 'string' && map.has(value)) out[key] = map.get(value);
      else out[key] = visit(value);
    }
    return out;
  };
  return visit(resource) as Resource;
}

/** Every conditional reference (`Type?criteria`) in a resource's `reference` fields. */
export function conditionalReferences(resource: Resource): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'reference' && typeof value === 'string' && /^[A-Z][A-Za-z]+\?/.test(value)) found.add(value);
        else visit(value);
      }
    }
  };
  visit(resource);
  return [...found];
}
