import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// When a treatment is taken. The header is the one of fixtures/cda/vsm-sujets-humeurs-statuts.xml; each treatment is
// written here and the expected facts are read from it.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string): Buffer =>
  Buffer.from(FIXTURE.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const section = (entries: string) => `<component><section><code code="10160-0" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>x</text>${entries}</section></component>`;
const treatment = (mood: string, atc: string, times: string, dose = '<doseQuantity value="1" unit="{tablet}"/>') => `<entry><substanceAdministration classCode="SBADM" moodCode="${mood}">
  <templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7"/><statusCode code="completed"/>
  <effectiveTime xsi:type="IVL_TS"><low value="20250101"/></effectiveTime>${times}${dose}
  <consumable><manufacturedProduct><manufacturedMaterial><code code="${atc}" codeSystem="2.16.840.1.113883.6.73"/></manufacturedMaterial></manufacturedProduct></consumable>
  </substanceAdministration></entry>`;
// 08:00 every day, and (operator I: also) 20:00 every day: twice a day.
const TWICE = `<effectiveTime xsi:type="PIVL_TS" institutionSpecified="false" operator="A"><phase value="202501010800"/><period value="1" unit="d"/></effectiveTime>
  <effectiveTime xsi:type="PIVL_TS" institutionSpecified="false" operator="I"><phase value="202501012000"/><period value="1" unit="d"/></effectiveTime>`;
const AT_MEALS = '<effectiveTime xsi:type="EIVL_TS" operator="A"><event code="C" codeSystem="2.16.840.1.113883.5.139"/></effectiveTime>';

describe('the frequency of a treatment taken, as written', () => {
  const plan = planCdaImport(withBody(section([
    treatment('EVN', 'C09AA05', TWICE),
    treatment('EVN', 'A10BA02', AT_MEALS),
    treatment('EVN', 'N02BE01', '<effectiveTime xsi:type="PIVL_TS" operator="A"><period value="6" unit="h"/></effectiveTime>', '<doseQuantity><low value="1" unit="{tablet}"/><high value="2" unit="{tablet}"/></doseQuantity>'),
  ].join(''))));
  const byAtc = (atc: string) => resourcesOf<MedicationStatement>(plan.bundle, 'MedicationStatement').find((m) => m.medicationCodeableConcept?.coding?.[0].code === atc) as MedicationStatement;

  it('does not make two daily times « once a day »', () => {
    expect(byAtc('C09AA05').dosage?.[0].timing?.repeat?.frequency).toBeUndefined();
    expect(byAtc('C09AA05').dosage?.[0].timing?.repeat?.period).toBeUndefined();
    expect(plan.warnings).toContain('Entry s1.e1: 2 periodic times (PIVL_TS); the frequency is not represented');
  });

  it('keeps « at meals » (EIVL C) as the timing event', () => {
    expect(byAtc('A10BA02').dosage?.[0].timing?.repeat?.when).toEqual(['C']);
  });

  it('keeps a dose range and one period as written: 1 to 2 tablets every 6 hours', () => {
    const dosage = byAtc('N02BE01').dosage?.[0];
    expect(dosage?.timing?.repeat).toEqual({ frequency: 1, period: 6, periodUnit: 'h' });
    expect(dosage?.doseAndRate?.[0].doseRange).toEqual({
      low: { value: 1, unit: '{tablet}', system: 'http://unitsofmeasure.org', code: '{tablet}' },
      high: { value: 2, unit: '{tablet}', system: 'http://unitsofmeasure.org', code: '{tablet}' },
    });
  });
});

describe('the frequency of a treatment prescribed', () => {
  it('does not make two daily times « once a day » in a prescription either', () => {
    const plan = planCdaImport(withBody(section(treatment('INT', 'C09AA05', TWICE))));
    const [request] = resourcesOf<MedicationRequest>(plan.bundle, 'MedicationRequest');
    expect(request.dosageInstruction?.[0].timing?.repeat?.frequency).toBeUndefined();
    expect(request.dosageInstruction?.[0].timing?.repeat?.period).toBeUndefined();
    expect(plan.warnings).toContain('Entry s1.e1: several periodic times (PIVL_TS) for one administration; the frequency is not represented');
  });
});
