/**
 * Calendar days, months and years as the service's users mean them: in Europe/Paris. A patient writing "jusqu'au
 * 7 décembre" means the end of that day in France, not in UTC (which ended it at 01:00 or 02:00 Paris time the next
 * day, an hour or two late for a block "until today", and started "from the 7th" an hour or two late). Node's Intl
 * carries the zone's rules, so both sides of a DST change are right without a dependency.
 */

/** The time zone calendar dates are read in (the 18th birthday, FHIR partial dates used as access bounds). */
export const PARIS_TIME_ZONE = 'Europe/Paris';

const parisDate = new Intl.DateTimeFormat('en-CA', { timeZone: PARIS_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar date (YYYY-MM-DD) of an instant in Europe/Paris. */
export function parisDay(at: Date): string {
  return parisDate.format(at);
}

/** The instant a Europe/Paris calendar day begins (midnight, UTC+1 in winter, UTC+2 in summer). */
export function parisMidnight(day: string): Date {
  for (const offset of ['+01:00', '+02:00']) {
    const at = new Date(`${day}T00:00:00${offset}`);
    if (parisDay(at) === day && parisDay(new Date(at.getTime() - 1)) < day) return at;
  }
  return new Date(`${day}T00:00:00+01:00`);
}

const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** A calendar day (month and day may overflow, as in Date.UTC) as YYYY-MM-DD; unlike Date.UTC, years 0-99 stay. */
function dayString(year: number, month: number, day: number): string {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  return d.toISOString().slice(0, 10);
}

/**
 * A FHIR Period bound as an instant (ISO 8601), both bounds inclusive. A FHIR date may be a year, a month or a day
 * (`2027`, `2027-06`, `2027-06-15`): it names that whole unit in Europe/Paris, so a start begins at Paris midnight of
 * its first day and an end lasts through its last day (the millisecond before the next Paris midnight). A dateTime
 * carries its zone and is returned as written. Used for every bound that gates access: Consent provisions (stored in
 * `access_consent`), a guardian's court measure, a contact's end.
 */
export function parisPeriodBound(value: string | undefined, bound: 'start' | 'end'): string | undefined {
  const m = value ? PARTIAL_DATE.exec(value) : null;
  if (!m) return value;
  const [year, month, day] = [Number(m[1]), m[2] ? Number(m[2]) - 1 : 0, m[3] ? Number(m[3]) : 1];
  if (bound === 'start') return parisMidnight(dayString(year, month, day)).toISOString();
  const next = m[3] ? dayString(year, month, day + 1) : m[2] ? dayString(year, month + 1, 1) : dayString(year + 1, 0, 1);
  return new Date(parisMidnight(next).getTime() - 1).toISOString();
}

/** `parisPeriodBound` as epoch milliseconds (NaN when unreadable, so a comparison with it is false). */
export function parisPeriodBoundAt(value: string, bound: 'start' | 'end'): number {
  return Date.parse(parisPeriodBound(value, bound) ?? value);
}

/**
 * The instant a period `end` stops counting (exclusive), epoch ms: a date, a month or a year lasts through that unit in
 * Europe/Paris, the reading Consents get (`parisPeriodBound`). A year-only end read as `2030-01T…` was no date, so a court
 * measure "until 2030" gave its tutor no right at all, and a month-only end stopped on its second day (attack sweep 8).
 * NaN when unreadable, so `t < parisPeriodEndAt(end)` is false: an unreadable end counts as passed.
 */
export function parisPeriodEndAt(end: string): number {
  return parisPeriodBoundAt(end, 'end') + (/^\d{4}(-\d{2}(-\d{2})?)?$/.test(end) ? 1 : 0);
}
