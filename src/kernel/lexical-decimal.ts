import { randomBytes } from 'node:crypto';

/**
 * Decimals keep their lexical form. FHIR decimals are exact ("2.050" ≠ "2.05": significant digits are clinical
 * information), but JavaScript numbers drop trailing zeros when JSON is parsed and written again. A mapper that
 * knows the source digits records them in this primitive extension (`"value": 2.05, "_value": {"extension":
 * [{"url": LEXICAL_DECIMAL_EXTENSION, "valueString": "2.050"}]}`), which survives every JSON round trip of the
 * pipeline; `stringifyWithLexicalDecimals` then writes the number token `2.050` itself and drops the extension.
 */
export const LEXICAL_DECIMAL_EXTENSION = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/decimal-lexical';

/** The FHIR decimal grammar (R4 datatypes: decimal). */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/**
 * `{ value, _value }` for a decimal read from a document: the number, plus the lexical extension when writing the
 * number back would lose digits (`2.050`, `75.0`). Undefined when the text is not a FHIR decimal.
 */
export function lexicalDecimal(text: string): { value: number; _value?: { extension: { url: string; valueString: string }[] } } | undefined {
  const lexical = text.trim();
  if (!DECIMAL.test(lexical)) return undefined;
  const value = Number(lexical);
  if (!Number.isFinite(value)) return undefined;
  if (String(value) === lexical) return { value };
  return { value, _value: { extension: [{ url: LEXICAL_DECIMAL_EXTENSION, valueString: lexical }] } };
}

/** JSON.stringify, writing each decimal that carries the lexical extension with its recorded digits. */
export function stringifyWithLexicalDecimals(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes(LEXICAL_DECIMAL_EXTENSION)) return text;
  const marker = `lexical-decimal-${randomBytes(8).toString('hex')}:`;
  const marked = JSON.stringify(markLexical(value, marker));
  return marked.replace(new RegExp(`"${marker}([-+.0-9eE]+)"`, 'g'), '$1');
}

/** A copy in which `k: number` + `_k` lexical extension become `k: "<marker><digits>"`, the extension removed. */
function markLexical(node: unknown, marker: string): unknown {
  if (Array.isArray(node)) return node.map((n) => markLexical(n, marker));
  if (!node || typeof node !== 'object') return node;
  const source = node as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(source)) {
    // The extension is ours: dropped beside any number, used only when its digits still equal that number.
    if (key.startsWith('_') && typeof source[key.slice(1)] === 'number' && hasLexical(child)) {
      const rest = withoutLexical(child as Record<string, unknown>);
      if (rest) copy[key] = rest;
      continue;
    }
    const lexical = typeof child === 'number' ? lexicalOf(source[`_${key}`], child) : undefined;
    copy[key] = lexical ? `${marker}${lexical}` : markLexical(child, marker);
  }
  return copy;
}

/** The recorded digits of a `_k` element, when they are a decimal equal to the number beside them. */
function lexicalOf(element: unknown, value: number): string | undefined {
  if (!hasLexical(element)) return undefined;
  const extensions = (element as { extension: { url?: string; valueString?: string }[] }).extension;
  const lexical = extensions.find((e) => e.url === LEXICAL_DECIMAL_EXTENSION)?.valueString;
  return lexical && DECIMAL.test(lexical) && Number(lexical) === value ? lexical : undefined;
}

function hasLexical(element: unknown): boolean {
  const extensions = (element as { extension?: unknown } | undefined)?.extension;
  return Array.isArray(extensions) && extensions.some((e) => (e as { url?: string } | undefined)?.url === LEXICAL_DECIMAL_EXTENSION);
}

function withoutLexical(element: Record<string, unknown>): Record<string, unknown> | undefined {
  const extension = (element.extension as { url?: string }[]).filter((e) => e.url !== LEXICAL_DECIMAL_EXTENSION);
  const rest: Record<string, unknown> = { ...element, extension };
  if (!extension.length) delete rest.extension;
  return Object.keys(rest).length ? rest : undefined;
}
