/** Days in a month of the Gregorian calendar (month 1–12). "Dates SHALL be valid dates" (R4 datatypes). */
export function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one (Date.UTC's months are 0-based).
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
