import type { Resource } from '@medplum/fhirtypes';
import { deriveColumns, type DerivedColumns } from '../src/store/derived-columns';
import { computeIndexRows, type IndexRows } from '../src/store/indexer';
import { serialise } from '../src/store/repository';

/**
 * Row templates: a resource is indexed ONCE by the server's own code (`computeIndexRows`, `deriveColumns`,
 * `serialise`), with placeholders where each seeded row differs (ids, identifiers) and base dates that each
 * row shifts. Filling a template is then string concatenation, so a million documents carry exactly the index
 * rows the server would have written, without running FHIRPath a million times.
 */

/** A placeholder for a per-row value: letters only, so that it also parses as a FHIR id inside references. */
export function slot(name: string): string {
  return `zzq${name}zzq`;
}

const SLOT = /zzq([A-Za-z0-9]+?)zzq/g;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A string split around its slots: filling it is a concatenation. A plain string has no slot. */
type Pattern = string | { parts: string[]; names: string[] };

function compile(s: string): Pattern {
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of s.matchAll(SLOT)) {
    parts.push(s.slice(last, m.index));
    names.push(m[1]);
    last = (m.index as number) + m[0].length;
  }
  if (!names.length) return s;
  parts.push(s.slice(last));
  return { parts, names };
}

function fill(p: Pattern, values: Record<string, string>): string {
  if (typeof p === 'string') return p;
  let out = p.parts[0];
  for (let i = 0; i < p.names.length; i++) {
    const v = values[p.names[i]];
    if (v === undefined) throw new Error(`No value for slot ${p.names[i]}`);
    out += v + p.parts[i + 1];
  }
  return out;
}

const fillOrNull = (p: Pattern | null, values: Record<string, string>): string | null => (p === null ? null : fill(p, values));

function assertNoSlot(s: string | null, where: string): void {
  if (s !== null && s.includes('zzq')) throw new Error(`A slot cannot vary ${where} (its normalised form is derived)`);
}

/** What a template is made of. Every date of `resource` listed in `dates` moves by the row's clinical shift. */
export interface TemplateSpec {
  /** The resource as the server would store it (meta.versionId and meta.lastUpdated set), with slots. */
  resource: Resource;
  /** Clinical dates as written in the resource: full instants in `toISOString()` form, or `YYYY-MM-DD`. */
  dates: string[];
}

/** Per-row values: slot values and two date shifts in ms (date-only values need whole days). */
export interface RowValues {
  slots: Record<string, string>;
  clinicalShiftMs: number;
  updatedShiftMs: number;
}

/** One filled row: what `buildWriteStatement` would receive from the repository for this resource. */
export interface FilledRow {
  text: string;
  lastUpdated: string;
  index: IndexRows;
  columns: DerivedColumns;
}

interface DateBound { ms: number | null; text: string }

/** A compiled template; `fill` is the per-row work. */
export class RowTemplate {
  private readonly text: Pattern;
  private readonly updatedMs: number;
  private readonly dateMs: number[];
  private readonly dateOnly: boolean[];
  private readonly tokens: { param: string; system: Pattern | null; code: Pattern | null }[];
  private readonly strings: IndexRows['strings'];
  private readonly quantities: IndexRows['quantities'];
  private readonly dates: { param: string; low: DateBound; high: DateBound }[];
  private readonly references: { param: string; targetType: Pattern; targetId: Pattern }[];
  private readonly compartment: Pattern | null;
  private readonly docId: Pattern | null;
  private readonly security: Pattern[];
  private readonly authors: Pattern[];

  constructor(spec: TemplateSpec) {
    const updated = spec.resource.meta?.lastUpdated;
    if (!updated || new Date(updated).toISOString() !== updated) throw new Error('Template meta.lastUpdated must be a toISOString() instant');
    let text = serialise(spec.resource);
    text = replaceOnce(text, `"lastUpdated":"${updated}"`, `"lastUpdated":"${slot('U')}"`);
    spec.dates.forEach((d, k) => {
      if (!DATE_ONLY.test(d) && new Date(d).toISOString() !== d) throw new Error(`Template date ${d} must be YYYY-MM-DD or a toISOString() instant`);
      text = replaceAll(text, `"${d}"`, `"${slot(`D${k}`)}"`);
    });
    this.text = compile(text);
    this.updatedMs = Date.parse(updated);
    this.dateMs = spec.dates.map((d) => Date.parse(DATE_ONLY.test(d) ? `${d}T00:00:00.000Z` : d));
    this.dateOnly = spec.dates.map((d) => DATE_ONLY.test(d));
    const rows = computeIndexRows(spec.resource);
    const columns = deriveColumns(spec.resource, rows);
    this.tokens = rows.tokens.map((t) => ({ param: t.param, system: t.system === null ? null : compile(t.system), code: t.code === null ? null : compile(t.code) }));
    rows.strings.forEach((s) => assertNoSlot(s.value, `in the string parameter ${s.param}`));
    rows.quantities.forEach((q) => assertNoSlot(`${q.system}${q.code}`, `in the quantity parameter ${q.param}`));
    this.strings = rows.strings;
    this.quantities = rows.quantities;
    const bound = (v: string): DateBound => (v === 'infinity' || v === '-infinity' ? { ms: null, text: v } : { ms: Date.parse(v), text: v });
    this.dates = rows.dates.map((d) => ({ param: d.param, low: bound(d.low), high: bound(d.high) }));
    this.references = rows.references.map((r) => ({ param: r.param, targetType: compile(r.targetType), targetId: compile(r.targetId) }));
    this.compartment = columns.compartment === null ? null : compile(columns.compartment);
    this.docId = columns.docId === null ? null : compile(columns.docId);
    this.security = columns.security.map(compile);
    this.authors = columns.authors.map(compile);
  }

  /** The row for these values: served text, lastUpdated, index rows and derived columns. */
  fill(values: RowValues): FilledRow {
    const shift = values.clinicalShiftMs;
    const slots: Record<string, string> = { ...values.slots, U: new Date(this.updatedMs + values.updatedShiftMs).toISOString() };
    this.dateMs.forEach((ms, k) => {
      if (this.dateOnly[k] && shift % DAY_MS !== 0) throw new Error('A date-only template date needs a shift of whole days');
      const iso = new Date(ms + shift).toISOString();
      slots[`D${k}`] = this.dateOnly[k] ? iso.slice(0, 10) : iso;
    });
    const moved = (b: DateBound): string => (b.ms === null ? b.text : new Date(b.ms + shift).toISOString());
    return {
      text: fill(this.text, slots),
      lastUpdated: slots.U,
      index: {
        tokens: this.tokens.map((t) => ({ param: t.param, system: fillOrNull(t.system, slots), code: fillOrNull(t.code, slots), text: null })),
        strings: this.strings,
        dates: this.dates.map((d) => ({ param: d.param, low: moved(d.low), high: moved(d.high) })),
        references: this.references.map((r) => ({ param: r.param, targetType: fill(r.targetType, slots), targetId: fill(r.targetId, slots) })),
        quantities: this.quantities,
      },
      columns: {
        compartment: fillOrNull(this.compartment, slots),
        // The seeded resources name one Patient each: their compartment.
        namedPatients: this.compartment === null ? [] : [fill(this.compartment, slots)],
        docId: fillOrNull(this.docId, slots),
        security: this.security.map((p) => fill(p, slots)),
        authors: this.authors.map((p) => fill(p, slots)),
      },
    };
  }
}

function replaceAll(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`Template text lacks ${from}`);
  return text.split(from).join(to);
}

function replaceOnce(text: string, from: string, to: string): string {
  if (text.split(from).length !== 2) throw new Error(`Template text must contain ${from} exactly once`);
  return text.replace(from, to);
}
