import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { badRequest, unprocessable } from '../errors';

type Json = Record<string, unknown>;

/** The value of a FHIRPath Patch `value` part: whichever `value[x]` is present. */
function partValue(part: ParametersParameter): unknown {
  for (const [key, value] of Object.entries(part)) if (key.startsWith('value')) return value;
  return undefined;
}

/** Resolves a simple element path (`DocumentReference.status`, `Patient.name[0]`) to its parent and key. */
function locate(resource: Json, path: string): { parent: Json; key: string; index?: number } {
  const steps = path.split('.');
  if (steps[0] !== resource.resourceType) throw unprocessable(`FHIRPath Patch path "${path}" must start with ${String(resource.resourceType)}`);
  let node: unknown = resource;
  for (let i = 1; i < steps.length - 1; i++) {
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$/.exec(steps[i]);
    if (!m) throw badRequest(`FHIRPath Patch supports element paths only (name or name[n]); "${path}" is not one`);
    node = (node as Json)?.[m[1]];
    if (m[2] !== undefined) node = (node as unknown[])?.[Number(m[2])];
    if (!node || typeof node !== 'object') throw unprocessable(`FHIRPath Patch path "${path}" does not exist in the resource`);
  }
  const last = /^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$/.exec(steps[steps.length - 1]);
  if (!last) throw badRequest(`FHIRPath Patch supports element paths only; "${path}" is not one`);
  return { parent: node as Json, key: last[1], index: last[2] !== undefined ? Number(last[2]) : undefined };
}

/**
 * Applies a FHIRPath Patch (FHIR R4 §2.40, as used by IHE MHD to supersede a document) for element paths:
 * operation types add, insert, replace and delete. Functions in paths are not supported (400).
 */
export function applyFhirPathPatch(resource: Resource, patch: Parameters): Resource {
  const out = structuredClone(resource) as unknown as Json;
  for (const op of patch.parameter ?? []) {
    if (op.name !== 'operation') continue;
    const part = (name: string) => op.part?.find((p) => p.name === name);
    const type = part('type')?.valueCode;
    const path = part('path')?.valueString;
    if (!type || !path) throw badRequest('Each FHIRPath Patch operation needs a type and a path');
    const value = part('value') ? partValue(part('value') as ParametersParameter) : undefined;
    if (type === 'add') {
      const name = part('name')?.valueString;
      if (!name) throw badRequest('A FHIRPath Patch add needs a name');
      const { parent, key } = locate(out, `${path}.${name}`);
      const existing = parent[key];
      parent[key] = Array.isArray(existing) ? [...existing, value] : existing === undefined ? value : [existing, value];
    } else if (type === 'replace' || type === 'delete' || type === 'insert') {
      const { parent, key, index } = locate(out, path);
      if (type === 'replace') {
        if (index === undefined) parent[key] = value;
        else (parent[key] as unknown[])[index] = value;
      } else if (type === 'delete') {
        if (index === undefined) delete parent[key];
        else (parent[key] as unknown[]).splice(index, 1);
      } else {
        const at = part('index')?.valueInteger ?? 0;
        const list = Array.isArray(parent[key]) ? (parent[key] as unknown[]) : [];
        list.splice(at, 0, value);
        parent[key] = list;
      }
    } else {
      throw badRequest(`FHIRPath Patch operation "${type}" is not supported (add, insert, replace, delete)`);
    }
  }
  return out as unknown as Resource;
}
