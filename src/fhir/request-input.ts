import { badRequest } from './errors';

/** Deepest JSON nesting accepted (objects and arrays); FHIR resources, contained ones and Bundles included, stay far below. */
export const MAX_JSON_DEPTH = 200;

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
  const depth = measureDepth(text, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) throw badRequest(`The body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`The body is not valid JSON: ${(err as Error).message}`);
  }
  // `\u0000` escapes decode to NUL: look for them only when the text has one (rare), then in the parsed strings.
  if (/\\u0000/i.test(text) && hasNul(parsed)) throw badRequest(NUL_MESSAGE);
  return parsed;
}

/** The nesting depth of a JSON text, counting brackets outside strings; stops counting past `limit`. */
function measureDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
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
