import {
  AsAtom,
  DotAtom,
  FhirPathAtom,
  FunctionAtom,
  IsAtom,
  SymbolAtom,
  UnionAtom,
  evalFhirPathTyped,
  fhirPathIs,
  getElementDefinition,
  getTypedPropertyValue,
  isEmpty,
  removeDuplicates,
  toTypedValue,
  type Atom,
  type TypedValue,
} from '@medplum/core';

/** A FHIRPath expression as a function of its input collection. */
export type Evaluate = (input: TypedValue[]) => TypedValue[];

/**
 * A SearchParameter expression as a plain function, with the same results as `evalFhirPathTyped`. Search
 * parameter expressions are almost all paths (`Observation.code`, `Observation.value as Quantity`, unions of
 * those, `subject.where(resolve() is Patient)`); interpreting them atom by atom, with a context object per
 * step and an element-definition lookup per property, was most of the cost of indexing a lab report. Anything
 * else (operators, other functions, variables) is left to the FHIRPath interpreter.
 */
export function compileExpression(expression: FhirPathAtom): Evaluate {
  const compiled = compile(expression);
  return compiled ? (input) => unboxed(compiled(input)) : (input) => evalFhirPathTyped(expression, input);
}

/** Primitives read with their extensions (`_birthDate`) are boxed (`new String(…)` with `extension`); results are not. */
function unboxed(values: TypedValue[]): TypedValue[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i].value as unknown;
    if (v instanceof String || v instanceof Number || v instanceof Boolean) values[i] = { type: values[i].type, value: v.valueOf() };
  }
  return values;
}

function compile(atom: Atom): Evaluate | undefined {
  if (atom instanceof FhirPathAtom) return compile(atom.child);
  if (atom instanceof SymbolAtom) return atom.name.startsWith('$') || atom.name.startsWith('%') ? undefined : symbol(atom.name);
  if (atom instanceof DotAtom) {
    const left = compile(atom.left);
    const right = compile(atom.right);
    return left && right ? (input) => right(left(input)) : undefined;
  }
  if (atom instanceof UnionAtom) {
    const left = compile(atom.left);
    const right = compile(atom.right);
    return left && right ? (input) => union(left(input), right(input)) : undefined;
  }
  if (atom instanceof AsAtom) {
    const left = compile(atom.left);
    const type = typeName(atom.right);
    return left && type ? (input) => left(input).filter((v) => v.type === type) : undefined;
  }
  if (atom instanceof FunctionAtom) return compileFunction(atom);
  return undefined;
}

function union(left: TypedValue[], right: TypedValue[]): TypedValue[] {
  const all = left.length === 0 ? right : right.length === 0 ? left : [...left, ...right];
  return all.length > 1 ? removeDuplicates(all) : all;
}

function typeName(atom: Atom): string | undefined {
  return atom instanceof SymbolAtom ? atom.name : undefined;
}

/** `as(T)` (the interpreter passes its input through), `ofType(T)` and `where(resolve() is T)`. */
function compileFunction(fn: FunctionAtom): Evaluate | undefined {
  const [arg] = fn.args;
  if (fn.args.length !== 1) return undefined;
  if (fn.name === 'as') return (input) => input;
  if (fn.name === 'ofType') {
    const type = typeName(arg);
    return type ? (input) => input.filter((v) => v.type === type) : undefined;
  }
  if (fn.name === 'where' && arg instanceof IsAtom && arg.left instanceof FunctionAtom && arg.left.name === 'resolve' && arg.left.args.length === 0) {
    const type = typeName(arg.right);
    return type ? (input) => input.filter((v) => resolvesTo(v, type)) : undefined;
  }
  return undefined;
}

/** `resolve() is T` for one reference, as the interpreter answers it without a server: from the reference's text. */
function resolvesTo(value: TypedValue, type: string): boolean {
  const v = value.value as unknown;
  let reference: string | undefined;
  if (typeof v === 'string') reference = v;
  else if (v && typeof v === 'object') {
    const r = v as { resource?: unknown; reference?: string; type?: string; identifier?: { system?: string; value?: string } };
    if (r.resource) return fhirPathIs(toTypedValue(r.resource), type);
    if (r.reference) reference = r.reference;
    else if (r.type && r.identifier) reference = `${r.type}?identifier=${r.identifier.system}|${r.identifier.value}`;
  }
  const target = reference?.includes('?') ? reference.split('?')[0] : reference?.includes('/') ? reference.split('/')[0] : undefined;
  return target !== undefined && fhirPathIs({ type: target, value: { resourceType: target } }, type);
}

/** How to read one property of one type: the JSON keys it may have (one per choice type) and the type of each. */
interface Property {
  keys: { key: string; extensionKey: string; type: string }[];
}

function property(type: string, name: string): Property | null {
  const element = getElementDefinition(type, name);
  if (!element?.type?.length) return null;
  const last = element.path.substring(element.path.lastIndexOf('.') + 1);
  const nested = element.type[0].code;
  return {
    keys: element.type.map((t) => {
      const key = last.replace('[x]', t.code.charAt(0).toUpperCase() + t.code.slice(1));
      return { key, extensionKey: `_${key}`, type: t.code === 'Element' || t.code === 'BackboneElement' ? nested : t.code };
    }),
  };
}

/**
 * A path step: the input itself where it is a resource of that name, else the property's values. Properties
 * carrying primitive extensions (`_status`), and types without element definitions, take the interpreter's
 * own property reader, which merges them.
 */
function symbol(name: string): Evaluate {
  const byType = new Map<string, Property | null>(); // this step's property of each input type met so far
  return (input) => {
    const out: TypedValue[] = [];
    for (const item of input) {
      const value = item.value as Record<string, unknown> | undefined;
      if (!value || typeof value !== 'object') continue;
      if (value.resourceType === name) {
        out.push(item);
        continue;
      }
      let prop = byType.get(item.type);
      if (prop === undefined) byType.set(item.type, (prop = property(item.type, name)));
      if (!prop) {
        push(out, getTypedPropertyValue(item, name));
        continue;
      }
      for (const { key, extensionKey, type } of prop.keys) {
        const own = value[key];
        if (value[extensionKey] !== undefined) {
          push(out, getTypedPropertyValue(item, name));
          break;
        }
        if (own === undefined) continue;
        if (!isEmpty(own)) {
          if (Array.isArray(own)) for (const element of own) push(out, typed(element, type));
          else push(out, typed(own, type));
        }
        break;
      }
    }
    return out;
  };
}

function typed(value: unknown, type: string): TypedValue {
  const resourceType = type === 'Resource' && value && typeof value === 'object' ? (value as { resourceType?: unknown }).resourceType : undefined;
  return { type: typeof resourceType === 'string' ? resourceType : type, value };
}

function push(out: TypedValue[], values: TypedValue | TypedValue[] | undefined): void {
  if (Array.isArray(values)) {
    for (const v of values) if (v?.value !== undefined) out.push(v);
  } else if (values?.value !== undefined) out.push(values);
}
