import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Immunization, Observation } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// CDA `bl` has two literals, "true" and "false". The mappers asked `negationInd === "true"`, so a document writing
// negationInd="1" or "TRUE" on fixtures/cda/vsm-absences.xml's refused vaccination (s4: « vaccin non administré »,
// J07BB02, statusCode completed, negationInd="true") produced an Immunization `completed`: a vaccine the document says
// was not given became one that was. A statement whose negation cannot be read is now not represented, and the sender
// is told; a BL value other than the two literals is kept as text.
const FIXTURES = join(__dirname, '../../../fixtures/cda');

describe('a negation that cannot be read is never turned into a fact', () => {
  const absences = readFileSync(join(FIXTURES, 'vsm-absences.xml'), 'utf8');

  it('the fixture as written: the refused vaccination is not-done', () => {
    const plan = planCdaImport(Buffer.from(absences));
    expect(resourcesOf<Immunization>(plan.bundle, 'Immunization').map((i) => [i.vaccineCode.coding?.[0].code, i.status])).toEqual([['J07BB02', 'not-done']]);
  });

  it.each(['1', 'TRUE', 'yes', '0'])('negationInd="%s": no Immunization at all, and a warning naming the value', (value) => {
    const plan = planCdaImport(Buffer.from(absences.replaceAll('negationInd="true"', `negationInd="${value}"`)));
    expect(resourcesOf<Immunization>(plan.bundle, 'Immunization')).toEqual([]);
    expect(plan.warnings).toContainEqual(expect.stringMatching(new RegExp(`negationInd="${value}" is neither true nor false`)));
    expect(plan.unmapped.length).toBeGreaterThan(0);
  });
});

describe('a BL value other than true or false is kept as text', () => {
  const fixture = readFileSync(join(FIXTURES, 'cr-bio-thyroid-panel.xml'), 'utf8');
  const tsh = (value: string) => {
    const plan = planCdaImport(Buffer.from(fixture.replace('<value xsi:type="PQ" value="6.8" unit="m[IU]/L"/>', `<value xsi:type="BL" value="${value}"/>`)));
    return { plan, result: resourcesOf<Observation>(plan.bundle, 'Observation').find((o) => o.code.coding?.[0].code === '3016-3') as Observation };
  };

  it.each([['true', true], ['false', false]])('%s is %p', (value, expected) => {
    expect(tsh(value).result.valueBoolean).toBe(expected);
  });

  it.each(['1', 'TRUE', 'oui'])('%j is neither: valueString, no boolean, a warning', (value) => {
    const { plan, result } = tsh(value);
    expect(result.valueBoolean).toBeUndefined();
    expect(result.valueString).toBe(value);
    expect(plan.warnings).toContainEqual(expect.stringContaining(`the value "${value}" is neither true nor false`));
  });
});
