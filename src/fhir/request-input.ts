import { badRequest, payloadTooLarge } from './errors';

/** Deepest JSON nesting accepted (objects and arrays); FHIR resources, contained ones and Bundles included, stay far below. */
export const MAX_JSON_DEPTH = 200;

/**
 * Most JSON values (objects, arrays, and members or items after a comma) accepted in one body. A 3 MB body of a million
 * empty `name` objects cost 10–22 s of the event loop and 300 MB in validation and indexing before its answer; a
 * transaction of MAX_BUNDLE_ENTRIES rich resources stays far below. Strings are not counted, so large attachments pass.
 */
export const MAX_JSON_VALUES = 250_000;

const NUL_MESSAGE = 'Text must not contain the NUL character (\\u0000): PostgreSQL cannot store it';

/** Splits a request path into its percent-decoded segments; 400 for a malformed escape (`%E0%A4%A`). */
export function decodePathSegments(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const decoded = decodeOrUndefined(segment);
      if (decoded === undefined) throw badRequest(`The path segment '${segment.slice(0, 80)}' has a malformed percent-encoding`);
      if (decoded.includes('\0')) throw badRequest(NUL_MESSAGE);
      return decoded;
    });
}

/** Percent-decodes a header or parameter value; undefined when the encoding is malformed. */
export function decodeOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** 400 when a query parameter's name or value holds a NUL character (PostgreSQL text refuses it: 500 otherwise). */
export function assertCleanQuery(query: readonly [string, string][]): void {
  for (const [name, value] of query) {
    if (name.includes('\0') || value.includes('\0')) throw badRequest(`Search parameter '${name.replace(/\0/g, '')}': ${NUL_MESSAGE}`);
  }
}

/**
 * Parses a JSON body, refusing with 400 what PostgreSQL or the validator cannot take: nesting deeper than
 * MAX_JSON_DEPTH (2,000 nested extensions, 200k nested arrays overflow the recursive validators) and the NUL
 * character (`\u0000`, which jsonb refuses). The depth is measured on the text before parsing.
 */
export function parseJsonBody(text: string): unknown {
  const shape = scanJson(text);
  if (shape.depth > MAX_JSON_DEPTH) throw badRequest(`The body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  if (shape.values > MAX_JSON_VALUES) throw payloadTooLarge(`The body holds more than ${MAX_JSON_VALUES} JSON values`);
  let parsed: unknown;
  try {
    // Only a number written with an exponent or hundreds of digits can overflow to Infinity: check those bodies alone.
    parsed = shape.largeNumber ? JSON.parse(text, refuseInfinite) : JSON.parse(text);
  } catch (err) {
    if (err instanceof FhirErrorMarker) throw badRequest(err.message);
    throw badRequest(`The body is not valid JSON: ${(err as Error).message}`);
  }
  // `\u0000` escapes decode to NUL: look for them only when the text has one (rare), then in the parsed strings.
  if (/\\u0000/i.test(text) && hasNul(parsed)) throw badRequest(NUL_MESSAGE);
  return parsed;
}

/** Thrown by the reviver; turned into a 400 by parseJsonBody. */
class FhirErrorMarker extends Error {}

/**
 * JSON.parse turns `1e999` (or 400 digits) into Infinity, which JSON.stringify then writes as `null`: the value was
 * indexed as null (a 500 from PostgreSQL's not-null constraint) or would have been stored changed.
 */
function refuseInfinite(key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new FhirErrorMarker(`The number at '${key}' is too large to be represented`);
  return value;
}

interface JsonShape {
  /** Deepest nesting (stops counting past MAX_JSON_DEPTH). */
  depth: number;
  /** Objects and arrays opened, plus commas: at least the number of values. */
  values: number;
  /** A number outside strings has an exponent or a run of at least 300 digits. */
  largeNumber: boolean;
}

/** Measures a JSON text without parsing it, looking only outside strings. */
function scanJson(text: string): JsonShape {
  let depth = 0;
  let max = 0;
  let values = 0;
  let digits = 0;
  let largeNumber = false;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) {
      if (++digits >= 300) largeNumber = true;
      continue;
    }
    // `e`/`E` right after a digit is an exponent (the `e` of true/false follows a letter).
    if ((c === 0x65 || c === 0x45) && digits > 0) largeNumber = true;
    digits = 0;
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      values++;
      if (++depth > max) max = depth;
      if (max > MAX_JSON_DEPTH) break;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c) values++;
  }
  return { depth: max, values, largeNumber };
}

/** Answers whether any key or string value (at any depth, iteratively) contains a NUL character. */
function hasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\0')) return true;
    } else if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\0')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}
