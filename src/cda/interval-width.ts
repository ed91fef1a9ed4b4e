import type { Quantity } from '@medplum/fhirtypes';
import { at } from './cda-node';
import { toDateTimeOf, toQuantity } from './datatypes';
import type { XmlNode } from './xml-tree';

/**
 * An IVL_TS may be written as a start and a width ("from 1 June, for 5 days": `low` + `width`), or an end and a
 * width. The bound not written is the other plus or minus the width (HL7 v3 IVL: width = high − low). It was left
 * out: a phase "from 1 June for 5 days" kept only "5 days", and a treatment period kept only its start, so a 5-day
 * antibiotic of last year read as ongoing.
 *
 * FHIR's `Period.end` includes the whole of its precision (an end "2025-06-05" is the end of that day). So at the
 * precision of a date, low 2025-06-01 + 5 d covers 1 to 5 June: the end written is 2025-06-05 (low + width − 1 day;
 * 2025-06-06 would be a sixth day of treatment); at the precision of a time it is the instant low + width. Nothing is
 * computed where the precision cannot carry it (a month, a year, a time width on a date, a month past its last day):
 * the caller keeps the width alone and says so.
 */

/** Time units of a width and their length; months and years are calendar steps, counted apart. */
const UNIT_MS: Record<string, number> = { s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000, wk: 604_800_000 };
const CALENDAR_MONTHS: Record<string, number> = { mo: 1, a: 12 };
const DAY_MS = 86_400_000;

/** The interval's `width` when it is a positive time quantity (UCUM s, min, h, d, wk, mo, a). */
export function widthOf(ivl: XmlNode | undefined): Quantity | undefined {
  const width = toQuantity(at(ivl, 'width'));
  if (width?.value === undefined || !(width.value > 0) || !width.unit) return undefined;
  return UNIT_MS[width.unit] !== undefined || CALENDAR_MONTHS[width.unit] !== undefined ? width : undefined;
}

/** The interval's end: its `high`, else its `low` + `width` (inclusive, see above), else undefined. */
export function intervalEnd(ivl: XmlNode | undefined): string | undefined {
  const high = toDateTimeOf(at(ivl, 'high'));
  if (high) return high;
  const low = toDateTimeOf(at(ivl, 'low'));
  const width = widthOf(ivl);
  return low && width ? shifted(low, width, 1) : undefined;
}

/** The interval's start: its `low`, else its `high` − `width`, else undefined. */
export function intervalStart(ivl: XmlNode | undefined): string | undefined {
  const low = toDateTimeOf(at(ivl, 'low'));
  if (low) return low;
  const high = toDateTimeOf(at(ivl, 'high'));
  const width = widthOf(ivl);
  return high && width ? shifted(high, width, -1) : undefined;
}

/**
 * An interval with one bound and a width from which the other bound cannot be computed at that bound's precision
 * ("June 2025, for 5 days"): how long it lasted is known, not when it ended (or began).
 */
export function hasUnresolvedBound(ivl: XmlNode | undefined): boolean {
  if (!widthOf(ivl)) return false;
  const low = toDateTimeOf(at(ivl, 'low'));
  const high = toDateTimeOf(at(ivl, 'high'));
  if (low && high) return false;
  return (!!low && !intervalEnd(ivl)) || (!!high && !intervalStart(ivl));
}

/** `from` moved by the width forward (sign 1: the inclusive end) or backward (sign −1: the start). */
function shifted(from: string, width: Quantity, sign: 1 | -1): string | undefined {
  const value = width.value as number;
  const unit = width.unit as string;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(from);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]) - 1, Number(date[3])];
    if (!Number.isInteger(value)) return undefined;
    let moved: number;
    if (CALENDAR_MONTHS[unit] !== undefined) {
      const months = y * 12 + m + sign * value * CALENDAR_MONTHS[unit];
      // 31 January + 1 month: no 31 February, and neither 28 February nor 3 March is what was written.
      if (d > new Date(Date.UTC(Math.floor(months / 12), (months % 12) + 1, 0)).getUTCDate()) return undefined;
      moved = Date.UTC(Math.floor(months / 12), months % 12, d);
    } else {
      const ms = value * UNIT_MS[unit];
      if (ms % DAY_MS !== 0) return undefined; // hours on a date: which hour of the day is not written
      moved = Date.UTC(y, m, d) + sign * ms;
    }
    // The date covers its whole day: the last day of "5 days from the 1st" is the 5th, the first of "5 days to the 5th" the 1st.
    return new Date(moved - sign * DAY_MS).toISOString().slice(0, 10);
  }
  const instant = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})$/.exec(from);
  if (!instant || UNIT_MS[unit] === undefined) return undefined;
  const ms = value * UNIT_MS[unit];
  if (!Number.isInteger(ms / 1000)) return undefined;
  const zone = instant[2];
  const offsetMs = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4))) * 60_000;
  const moved = Date.parse(from) + sign * ms;
  if (!Number.isFinite(moved)) return undefined;
  return `${new Date(moved + offsetMs).toISOString().slice(0, 19)}${zone}`;
}
