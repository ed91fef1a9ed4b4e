import { parseXmlTree } from '../../../src/cda/xml-tree';
import { hasUnresolvedBound, intervalEnd, intervalStart } from '../../../src/cda/interval-width';
import { toPeriod } from '../../../src/cda/datatypes';

// An IVL_TS written as one bound and a width: the other bound is that one ± the width (HL7 v3: width = high − low).
// FHIR's Period.end includes its whole precision, so at the precision of a date the last day is low + width − 1 day.
// Expected values worked out by hand from the calendar.
const ivl = (inner: string) => parseXmlTree(`<effectiveTime xmlns="urn:hl7-org:v3">${inner}</effectiveTime>`);

describe('a bound computed from the other and a width', () => {
  it.each([
    ['<low value="20250601"/><width value="5" unit="d"/>', '2025-06-05'], // 1, 2, 3, 4, 5 June
    ['<low value="20250601"/><width value="1" unit="d"/>', '2025-06-01'], // one day: that day
    ['<low value="20250226"/><width value="1" unit="wk"/>', '2025-03-04'], // 26 Feb … 4 March (2025 not a leap year)
    ['<low value="20240226"/><width value="1" unit="wk"/>', '2024-03-03'], // 2024 has a 29 February
    ['<low value="20250115"/><width value="1" unit="mo"/>', '2025-02-14'], // 15 Jan … 14 Feb
    ['<low value="20251201"/><width value="3" unit="mo"/>', '2026-02-28'], // 1 Dec … 28 Feb
    ['<low value="20250601"/><width value="1" unit="a"/>', '2026-05-31'],
    ['<low value="20250602080000+0200"/><width value="7" unit="d"/>', '2025-06-09T08:00:00+02:00'],
    ['<low value="20250602220000-0500"/><width value="12" unit="h"/>', '2025-06-03T10:00:00-05:00'],
    ['<low value="20250601"/><high value="20250603"/><width value="5" unit="d"/>', '2025-06-03'], // the high written wins
  ])('%s ends %s', (inner, end) => {
    expect(intervalEnd(ivl(inner))).toBe(end);
    expect(hasUnresolvedBound(ivl(inner))).toBe(false);
  });

  it('computes a start from an end and a width: 5 days to 5 June began on 1 June', () => {
    expect(intervalStart(ivl('<high value="20250605"/><width value="5" unit="d"/>'))).toBe('2025-06-01');
    expect(toPeriod(ivl('<high value="20250605"/><width value="5" unit="d"/>'))).toEqual({ start: '2025-06-01', end: '2025-06-05' });
  });

  it.each([
    '<low value="202506"/><width value="7" unit="d"/>', // a month: which days is not written
    '<low value="2025"/><width value="1" unit="mo"/>',
    '<low value="20250601"/><width value="12" unit="h"/>', // hours from a date: from which hour is not written
    '<low value="20250131"/><width value="1" unit="mo"/>', // no 31 February
    '<low value="20250601"/><width value="1.5" unit="d"/>',
  ])('computes nothing it cannot say at the precision written: %s', (inner) => {
    expect(intervalEnd(ivl(inner))).toBeUndefined();
    expect(hasUnresolvedBound(ivl(inner))).toBe(true);
  });

  it('reads no width that is not a positive time', () => {
    for (const width of ['<width value="0" unit="d"/>', '<width value="-5" unit="d"/>', '<width value="5" unit="mg"/>', '<width value="5"/>']) {
      expect(intervalEnd(ivl(`<low value="20250601"/>${width}`))).toBeUndefined();
      expect(hasUnresolvedBound(ivl(`<low value="20250601"/>${width}`))).toBe(false);
    }
  });
});
