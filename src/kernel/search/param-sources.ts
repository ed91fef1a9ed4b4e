import { DotAtom, FhirPathAtom, FunctionAtom, IsAtom, SymbolAtom, UnionAtom, type Atom } from '@medplum/core';

/**
 * Where a parameter's values are found when it has no index rows of its own: the rows of other parameters of the
 * same type (`codes`), restricted to references to `targetType` when set.
 */
export interface ParamSources {
  codes: string[];
  targetType?: string;
}

interface Candidate {
  code: string;
  type: string | undefined;
  expression: FhirPathAtom;
}

/** The paths of an expression's top-level union, as text (`a | (b | c)` → a, b, c). */
function unionParts(atom: Atom): string[] {
  if (atom instanceof FhirPathAtom) return unionParts(atom.child);
  if (atom instanceof UnionAtom) return [...unionParts(atom.left), ...unionParts(atom.right)];
  return [String(atom)];
}

/** `path.where(resolve() is T)` as its path and T. */
function restrictedReference(atom: Atom): { path: string; targetType: string } | undefined {
  const inner = atom instanceof FhirPathAtom ? atom.child : atom;
  if (!(inner instanceof DotAtom) || !(inner.right instanceof FunctionAtom) || inner.right.name !== 'where') return undefined;
  const [test] = inner.right.args;
  if (!(test instanceof IsAtom) || !(test.left instanceof FunctionAtom) || test.left.name !== 'resolve' || !(test.right instanceof SymbolAtom)) return undefined;
  return { path: String(inner.left), targetType: test.right.name };
}

/**
 * The parameters of one resource type that other parameters of the same type answer, with those sources. Two
 * shapes, both frequent in the base specification:
 * - a union of other parameters (`combo-code` = `code` | `component-code`, `combo-value-quantity` =
 *   `value-quantity` | `component-value-quantity`): its rows would repeat theirs;
 * - a reference parameter restricted to one target type (`patient` = `subject.where(resolve() is Patient)`):
 *   its rows are the other's rows of that target type.
 * An Observation of a lab report carries 15 results; storing these rows too was a quarter of its index rows.
 */
export function findParamSources(params: Candidate[]): Map<string, ParamSources> {
  const sources = new Map<string, ParamSources>();
  const partsOf = new Map(params.map((p) => [p.code, unionParts(p.expression)]));
  for (const param of params) {
    const peers = params.filter((p) => p.code !== param.code && p.type === param.type);
    const restricted = param.type === 'reference' ? restrictedReference(param.expression) : undefined;
    if (restricted) {
      const source = peers.find((p) => String(p.expression.child) === restricted.path);
      if (source) sources.set(param.code, { codes: [source.code], targetType: restricted.targetType });
      continue;
    }
    const parts = partsOf.get(param.code) as string[];
    if (parts.length < 2) continue;
    const covering = peers.filter((p) => (partsOf.get(p.code) as string[]).every((part) => parts.includes(part)));
    const covered = new Set(covering.flatMap((p) => partsOf.get(p.code) as string[]));
    if (covering.length > 0 && parts.every((part) => covered.has(part))) sources.set(param.code, { codes: covering.map((p) => p.code) });
  }
  // A source must have rows of its own.
  for (const [code, found] of sources) if (found.codes.some((c) => sources.has(c))) sources.delete(code);
  return sources;
}
