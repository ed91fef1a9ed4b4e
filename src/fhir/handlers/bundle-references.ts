import type { Resource } from '@medplum/fhirtypes';

/**
 * Replaces, everywhere in a resource, `reference` (and attachment `url`) values found in the map. Parts holding no
 * such value are shared with the input rather than copied (a lab report's resources are walked twice per import).
 */
export function rewriteReferences(resource: Resource, map: Map<string, string>): Resource {
  return rewrite(resource, map) as Resource;
}

function rewrite(node: unknown, map: Map<string, string>): unknown {
  if (Array.isArray(node)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const next = rewrite(node[i], map);
      if (next !== node[i]) (out ??= node.slice())[i] = next;
    }
    return out ?? node;
  }
  if (!node || typeof node !== 'object') return node;
  const object = node as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    const next = (key === 'reference' || key === 'url') && typeof value === 'string' ? (map.get(value) ?? value) : typeof value === 'object' ? rewrite(value, map) : value;
    if (next !== value) (out ??= { ...object })[key] = next;
  }
  return out ?? node;
}

/** Calls `found` with every string value under a `reference` key (and under `url` when `urls`), however deep. */
function eachReference(node: unknown, urls: boolean, found: (value: string) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) eachReference(item, urls, found);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  for (const key in object) {
    const value = object[key];
    if ((key === 'reference' || (urls && key === 'url')) && typeof value === 'string') found(value);
    else if (typeof value === 'object') eachReference(value, urls, found);
  }
}

/** Every conditional reference (`Type?criteria`) in a resource's `reference` fields. */
export function conditionalReferences(resource: Resource): string[] {
  const found = new Set<string>();
  eachReference(resource, false, (value) => {
    if (/^[A-Z][A-Za-z]+\?/.test(value)) found.add(value);
  });
  return [...found];
}

/** Every `reference` (and attachment `url`) value of the given resources: what `rewriteReferences` may replace. */
export function referenceValues(resources: readonly Resource[]): Set<string> {
  const found = new Set<string>();
  for (const resource of resources) eachReference(resource, true, (value) => found.add(value));
  return found;
}
