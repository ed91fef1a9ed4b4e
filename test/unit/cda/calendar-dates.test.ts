import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Immunization } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { toDateTime } from '../../../src/cda/datatypes';
import { resourcesOf } from './summarize-plan';

// A CDA TS was copied digit by digit: `20250230` became `2025-02-30`, which FHIR's dateTime pattern accepts (it checks
// 01–31, not the month) and no calendar holds; month 13, 25 h and an offset of +25:00 gave values no reader can place.
// A value that names no instant is not a date: the entry goes without it.
describe('a CDA date that names no instant is not copied', () => {
  it.each([
    ['20250230', undefined], ['20230229', undefined], ['20241301', undefined], ['20240100', undefined], ['00000101', undefined],
    ['20240101250000+0100', undefined], ['202401011260+0100', undefined], ['20240101120000+2500', undefined], ['20240101120000+0160', undefined],
    ['20240229', '2024-02-29'], ['2024', '2024'], ['202403', '2024-03'], ['20240331235959+1400', '2024-03-31T23:59:59+14:00'],
    ['20240331233000', '2024-03-31'],
  ])('%s → %p', (value, expected) => {
    expect(toDateTime(value)).toBe(expected);
  });

  it('a vaccination dated 30 February has an unknown date, not 2025-02-30', () => {
    const xml = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8').replace('<effectiveTime value="20250305"/>', '<effectiveTime value="20250230"/>');
    const pneumococcus = resourcesOf<Immunization>(planCdaImport(Buffer.from(xml)).bundle, 'Immunization').find((i) => i.vaccineCode.coding?.[0].code === '33');
    expect(pneumococcus?.occurrenceDateTime).toBeUndefined();
    expect(pneumococcus?.occurrenceString).toBe('unknown');
  });
});
