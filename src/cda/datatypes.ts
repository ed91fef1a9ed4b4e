import type { Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier, Period, Quantity, Range } from '@medplum/fhirtypes';
import { all, at, attr, childrenNamed, isNull, textOf } from './cda-node';
import { lexicalDecimal } from '../fhir/lexical-decimal';
import { isUuid, systemOf } from './code-systems';
import { intervalEnd, intervalStart } from './interval-width';
import { isUcumCode } from './ucum-units';
import type { XmlNode } from './xml-tree';

/** CDA II → FHIR Identifier: root+extension → system urn:oid:root, value extension; root only → RFC 3986 URI. */
export function toIdentifier(id: XmlNode | undefined): Identifier | undefined {
  const root = attr(id, 'root');
  if (!root || attr(id, 'nullFlavor')) return undefined;
  const extension = attr(id, 'extension');
  if (extension) return { system: systemOf(root), value: extension };
  return { system: 'urn:ietf:rfc:3986', value: isUuid(root) ? `urn:uuid:${root.toLowerCase()}` : `urn:oid:${root}` };
}

/** A `system|value` key of an identifier (search token form). */
export function identifierKey(identifier: Identifier): string {
  return `${identifier.system}|${identifier.value}`;
}

/** CDA CD/CE/CV → Coding of its own code (not of its translations). */
export function toCoding(code: XmlNode | undefined): Coding | undefined {
  const value = attr(code, 'code');
  const system = attr(code, 'codeSystem');
  if (!value || isNull(code)) return undefined;
  const coding: Coding = {};
  if (system) coding.system = systemOf(system);
  coding.code = value;
  const display = attr(code, 'displayName');
  if (display) coding.display = display;
  return coding;
}

/**
 * CDA CD → CodeableConcept with the code, its translations, and originalText when it is the code's own text: its
 * literal content, or the narrative it references only when there is no code at all. Narrative beside a code goes
 * to the resource's note (mappers/narrative-notes.ts): apps show `text`, and the narrative may contradict the code.
 */
export function toCodeableConcept(code: XmlNode | undefined): CodeableConcept | undefined {
  if (!code) return undefined;
  const codings = [toCoding(code), ...childrenNamed(code, 'translation').map(toCoding)].filter((c): c is Coding => !!c);
  const original = at(code, 'originalText');
  const text = textOf(original) ?? (codings.length ? undefined : original?.narrative);
  if (!codings.length && !text) return undefined;
  const concept: CodeableConcept = {};
  if (codings.length) concept.coding = codings;
  if (text) concept.text = text;
  return concept;
}

/**
 * CDA TS → FHIR date or dateTime (precision kept; a time without offset is reduced to a date). A value that names no
 * instant (month 13, 30 February, 25 h, offset +25:00, year 0000) is not a date: it was copied as `2024-02-30`, which
 * FHIR's pattern accepts and no calendar holds, and the entry then goes without that date.
 */
export function toDateTime(value: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4}|Z)?$/.exec(value?.trim() ?? '');
  if (!m || !isCalendarInstant(m)) return undefined;
  const [, y, mo, d, h, mi, s, tz] = m;
  if (!mo) return y;
  if (!d) return `${y}-${mo}`;
  if (!h || !tz) return `${y}-${mo}-${d}`;
  const zone = tz === 'Z' ? 'Z' : `${tz.slice(0, 3)}:${tz.slice(3)}`;
  return `${y}-${mo}-${d}T${h}:${mi ?? '00'}:${s ?? '00'}${zone}`;
}

function isCalendarInstant([, y, mo, d, h, mi, s, tz]: RegExpExecArray): boolean {
  const n = (part: string | undefined, fallback: number): number => (part === undefined ? fallback : Number(part));
  const year = n(y, 0);
  const month = n(mo, 1);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offset = tz && tz !== 'Z' ? { hours: Number(tz.slice(1, 3)), minutes: Number(tz.slice(3)) } : { hours: 0, minutes: 0 };
  return (
    year >= 1 && month >= 1 && month <= 12 && n(d, 1) >= 1 && n(d, 1) <= daysInMonth &&
    n(h, 0) <= 23 && n(mi, 0) <= 59 && n(s, 0) <= 59 && offset.hours <= 14 && offset.minutes <= 59
  );
}

/** The dateTime of a TS element (its `value` attribute). */
export function toDateTimeOf(node: XmlNode | undefined): string | undefined {
  return toDateTime(attr(node, 'value'));
}

/**
 * CDA IVL_TS (or TS) → Period; a bare value becomes start only. A bound written as the other one and a `width` is
 * computed (`interval-width.ts`): "from 1 June for 5 days" ends on 5 June; it kept only its start (ongoing).
 */
export function toPeriod(time: XmlNode | undefined): Period | undefined {
  if (!time) return undefined;
  const period: Period = {};
  const start = intervalStart(time) ?? toDateTimeOf(time);
  const end = intervalEnd(time);
  if (start) period.start = start;
  if (end) period.end = end;
  return start || end ? period : undefined;
}

/** The single point in time a CDA effectiveTime stands for (value, else low, else center). */
export function toInstantOf(time: XmlNode | undefined): string | undefined {
  return toDateTimeOf(time) ?? toDateTimeOf(at(time, 'low')) ?? toDateTimeOf(at(time, 'center'));
}

/**
 * A CDA REAL (the XML Schema decimal or double lexical form: `+3`, `.5`, `12.`, `1.5E3` besides FHIR's grammar) as a
 * FHIR decimal, or undefined. JavaScript's `Number` alone read `0x1F` as 31, `0b11` as 3 and `1e-400` as 0: a wrong
 * result is worse than none, so anything else — hexadecimal, `1,5`, `Infinity`, a value too large or too small for a
 * number — is not read (the caller keeps the document's text).
 */
export function readDecimal(raw: string): ReturnType<typeof lexicalDecimal> {
  const text = raw.trim();
  if (!XSD_NUMBER.test(text)) return undefined;
  const decimal = lexicalDecimal(text) ?? { value: Number(text) };
  // A literal with a non-zero digit that comes out as 0 underflowed (`1e-400`: every JSON reader gets 0).
  if (!Number.isFinite(decimal.value) || (decimal.value === 0 && /[1-9]/.test(text.split(/[eE]/)[0]))) return undefined;
  return decimal;
}

/** A CDA INT as a number (`007`, `+3`), or undefined: not `0x1F`, `3.0`, `1e3`, nor beyond what a FHIR integer holds. */
export function readInteger(raw: string | undefined): number | undefined {
  const text = raw?.trim();
  if (!text || !/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && Math.abs(n) <= 2_147_483_647 ? n : undefined;
}

/** The XML Schema decimal and double lexical forms, without INF/NaN. */
const XSD_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * CDA PQ → Quantity with UCUM (the CDA `unit` is UCUM by definition). The value keeps the document's digits
 * (`2.050` is served as `2.050`, see fhir/lexical-decimal.ts).
 */
export function toQuantity(pq: XmlNode | undefined): Quantity | undefined {
  const raw = attr(pq, 'value');
  if (!pq || isNull(pq) || raw === undefined) return undefined;
  const decimal = readDecimal(raw);
  if (!decimal) return undefined;
  const q = { ...decimal } as Quantity;
  const unit = attr(pq, 'unit');
  if (unit && unit !== '1') Object.assign(q, isUcumCode(unit) ? { unit, system: 'http://unitsofmeasure.org', code: unit } : { unit });
  return q;
}

/**
 * CDA IVL_PQ with a single bound ("< 1.0 mg/L", "≥ 60 mL/min") → Quantity with its comparator. IVL bounds are
 * inclusive unless `inclusive="false"`. Undefined for a closed interval or a bound that is a nullFlavor.
 */
export function toBoundQuantity(ivl: XmlNode | undefined): Quantity | undefined {
  const low = at(ivl, 'low');
  const high = at(ivl, 'high');
  const lowQ = toQuantity(low);
  const highQ = toQuantity(high);
  if (!!lowQ === !!highQ) return undefined;
  const bound = (lowQ ?? highQ) as Quantity;
  const exclusive = attr(lowQ ? low : high, 'inclusive') === 'false';
  const comparator: Quantity['comparator'] = lowQ ? (exclusive ? '>' : '>=') : exclusive ? '<' : '<=';
  const { value, ...rest } = bound;
  return { value, ...rest, comparator } as Quantity;
}

/** A bound of an IVL_PQ as text with its comparator and the document's digits (`< 0.128 mg/L`). */
export function boundText(bound: XmlNode | undefined, side: 'low' | 'high'): string | undefined {
  const value = attr(bound, 'value');
  if (!bound || isNull(bound) || value === undefined) return undefined;
  const exclusive = attr(bound, 'inclusive') === 'false';
  const comparator = side === 'low' ? (exclusive ? '>' : '>=') : exclusive ? '<' : '<=';
  const unit = attr(bound, 'unit');
  return `${comparator} ${value}${unit && unit !== '1' ? ` ${unit}` : ''}`;
}

/** CDA IVL_PQ → Range. */
export function toRange(ivl: XmlNode | undefined): Range | undefined {
  const low = toQuantity(at(ivl, 'low'));
  const high = toQuantity(at(ivl, 'high'));
  if (!low && !high) return undefined;
  const range: Range = {};
  if (low) range.low = low;
  if (high) range.high = high;
  return range;
}

/**
 * CDA PN → HumanName(s). French names (ANS) carry qualifiers: family BR = birth name, unqualified given = all
 * birth given names (given BR = the first one), family/given CL = used name. They become an `official` and a
 * `usual` HumanName, as FR Core expects. Other names map to one HumanName (`use="L"` → official).
 */
export function toHumanNames(pn: XmlNode): HumanName[] {
  if (isNull(pn)) return [];
  const texts = (name: string, qualifier?: string): string[] =>
    childrenNamed(pn, name)
      .filter((n) => (qualifier === undefined ? true : (attr(n, 'qualifier') ?? '') === qualifier))
      .map((n) => textOf(n))
      .filter((t): t is string => !!t);
  const extras = (name: HumanName): HumanName => {
    const prefix = texts('prefix');
    const suffix = texts('suffix');
    if (prefix.length) name.prefix = prefix;
    if (suffix.length) name.suffix = suffix;
    return name;
  };
  const qualifiers = [...childrenNamed(pn, 'family'), ...childrenNamed(pn, 'given')].map((n) => attr(n, 'qualifier'));
  if (qualifiers.includes('BR') || qualifiers.includes('CL')) {
    const names: HumanName[] = [];
    const birthFamily = texts('family', 'BR')[0] ?? texts('family', '')[0];
    const birthGiven = texts('given', '').length ? texts('given', '') : texts('given', 'BR');
    if (birthFamily || birthGiven.length) names.push(extras(compact({ use: 'official', family: birthFamily, given: birthGiven })));
    const usedFamily = texts('family', 'CL')[0];
    const usedGiven = texts('given', 'CL');
    if (usedFamily || usedGiven.length) names.push(compact({ use: 'usual', family: usedFamily ?? birthFamily, given: usedGiven.length ? usedGiven : birthGiven.slice(0, 1) }));
    return names;
  }
  const family = texts('family').join(' ');
  const given = texts('given');
  const name = extras(compact({ use: attr(pn, 'use') === 'L' ? 'official' : undefined, family, given }));
  if (!name.family && !name.given) {
    const text = textOf(pn);
    return text ? [{ text }] : [];
  }
  return [name];
}

function compact(name: { use?: HumanName['use']; family?: string; given?: string[] }): HumanName {
  const result: HumanName = {};
  if (name.use) result.use = name.use;
  if (name.family) result.family = name.family;
  if (name.given?.length) result.given = name.given;
  return result;
}

/** CDA AD → Address. */
export function toAddress(ad: XmlNode): Address | undefined {
  if (isNull(ad)) return undefined;
  const address: Address = {};
  const lines = [...all(ad, 'streetAddressLine'), ...all(ad, 'houseNumber'), ...all(ad, 'streetName')]
    .map((l) => textOf(l))
    .filter((l): l is string => !!l);
  if (lines.length) address.line = lines;
  const parts: [keyof Address, string][] = [['city', 'city'], ['postalCode', 'postalCode'], ['country', 'country'], ['state', 'state'], ['district', 'county']];
  for (const [field, element] of parts) {
    const value = textOf(at(ad, element));
    if (value) (address as Record<string, unknown>)[field] = value;
  }
  return Object.keys(address).length ? address : undefined;
}

/** CDA TEL → ContactPoint (tel:, mailto:, fax:, http: URLs). */
export function toContactPoint(tel: XmlNode): ContactPoint | undefined {
  const value = attr(tel, 'value');
  if (!value || isNull(tel)) return undefined;
  const m = /^(tel|mailto|fax|https?):(.*)$/i.exec(value);
  const scheme = m?.[1].toLowerCase();
  const system: ContactPoint['system'] = scheme === 'mailto' ? 'email' : scheme === 'fax' ? 'fax' : scheme?.startsWith('http') ? 'url' : 'phone';
  return { system, value: scheme?.startsWith('http') ? value : (m?.[2] ?? value).trim() };
}
