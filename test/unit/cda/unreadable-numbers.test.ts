import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { readDecimal, readInteger } from '../../../src/cda/datatypes';
import { resourcesOf } from './summarize-plan';

// A number the sender wrote in a form that is not a CDA REAL or INT is never turned into another number. Found by
// mutating fixtures/cda/cr-bio-thyroid-panel.xml (TSH 6.8 m[IU]/L): `0x1F` was stored as TSH 31, `0b11` as 3, `1e-400`
// as 0; `1,5` (a French decimal comma) left the result with its "high" flag and reference range but no value, and the
// sender was told nothing. Expected values are written from the XML Schema grammars the CDA REAL and INT follow.

describe('readDecimal: a CDA REAL (XML Schema decimal or double lexical form)', () => {
  it.each([
    ['6.8', 6.8], ['2.050', 2.05], ['+3', 3], ['.5', 0.5], ['12.', 12], ['-0', -0], ['1e3', 1000], ['1.5E-3', 0.0015], [' 12 ', 12], ['007.5', 7.5],
    ['99999999999999999999999', 1e23], ['0', 0], ['0.000', 0], ['0e5', 0],
  ])('reads %j as %p', (raw, value) => {
    expect(readDecimal(raw)?.value).toBe(value);
  });

  it.each(['0x1F', '0b11', '0o7', '1,5', '1 000', '1_000', 'Infinity', '-Infinity', 'NaN', 'INF', '', ' ', '1e999', '1e-400', '1.2.3', '--1', '1e', 'e3', '٣'])(
    'does not read %j',
    (raw) => {
      expect(readDecimal(raw)).toBeUndefined();
    },
  );
});

describe('readInteger: a CDA INT', () => {
  it.each([['3', 3], ['+3', 3], ['007', 7], ['-2', -2], [' 4 ', 4], ['0', 0]])('reads %j as %p', (raw, value) => {
    expect(readInteger(raw)).toBe(value);
  });

  it.each(['0x1F', '3.0', '1e3', '2,0', '', '99999999999', 'two', undefined])('does not read %j', (raw) => {
    expect(readInteger(raw)).toBeUndefined();
  });
});

describe('a lab result whose value is not a number keeps the text the document wrote', () => {
  const fixture = readFileSync(join(__dirname, '../../../fixtures/cda/cr-bio-thyroid-panel.xml'), 'utf8');
  const withTsh = (value: string) => planCdaImport(Buffer.from(fixture.replace('<value xsi:type="PQ" value="6.8" unit="m[IU]/L"/>', `<value xsi:type="PQ" value="${value}" unit="m[IU]/L"/>`)));
  const tsh = (plan: ReturnType<typeof planCdaImport>) => resourcesOf<Observation>(plan.bundle, 'Observation').find((o) => o.code.coding?.[0].code === '3016-3') as Observation;

  it('the fixture itself reads TSH 6.8 m[IU]/L, with no warning about its value', () => {
    const plan = withTsh('6.8');
    expect(tsh(plan).valueQuantity).toMatchObject({ value: 6.8, code: 'm[IU]/L' });
    expect(plan.warnings.filter((w) => /not a number/.test(w))).toEqual([]);
  });

  it.each(['1,5', '0x1F', '0b11', '1e-400', 'Infinity'])('%j: no quantity, the text and unit as written, and a warning to the sender', (value) => {
    const plan = withTsh(value);
    const result = tsh(plan);
    expect(result.valueQuantity).toBeUndefined();
    expect(result.valueString).toBe(`${value} m[IU]/L`);
    // The interpretation and range the laboratory gave stay beside it.
    expect(result.interpretation?.[0].coding?.[0].code).toBe('H');
    expect(plan.warnings).toContainEqual(expect.stringContaining(`the value "${value}" is not a number`));
  });
});
