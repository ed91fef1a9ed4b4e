import type { Observation } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// A pregnancy history section (IHE PCC / CI-SIS FR-Historique-des-grossesses, 10162-6) written here by hand and placed
// in the prescription fixture of 20 June 2025 (10:00 +02:00). Read from the XML below: a pregnancy status "pregnant"
// (SNOMED CT 77386006) with effectiveTime nullFlavor NA, an expected delivery date of 15 Nov 2025 observed on 20 June
// 2025, and a negated pregnancy status (negationInd="true", "not pregnant" must not become a value either way).
const observation = (id: string, code: string, body: string, negated = false) => `
  <entry><observation classCode="OBS" moodCode="EVN"${negated ? ' negationInd="true"' : ''}>
    <templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13.5"/><templateId root="1.2.250.1.213.1.1.3.53"/>
    <id root="1.2.250.1.999.1.1.41" extension="${id}"/>
    <code code="${code}" codeSystem="2.16.840.1.113883.6.1"/>
    <statusCode code="completed"/>${body}
  </observation></entry>`;
const SECTION = `<component><section>
  <templateId root="1.3.6.1.4.1.19376.1.5.3.1.1.5.3.4"/><templateId root="1.2.250.1.213.1.1.2.149"/>
  <code code="10162-6" displayName="Historique des grossesses" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Historique des grossesses</title><text>Enceinte, terme prévu le 15/11/2025.</text>
  ${observation('g1', '11449-6', '<effectiveTime nullFlavor="NA"/><value xsi:type="CD" code="77386006" displayName="enceinte" codeSystem="2.16.840.1.113883.6.96"/>')}
  ${observation('g2', '11778-8', '<effectiveTime value="20250620"/><value xsi:type="TS" value="20251115"/>')}
  ${observation('g3', '11449-6', '<effectiveTime value="20250620"/><value xsi:type="CD" code="77386006" codeSystem="2.16.840.1.113883.6.96"/>', true)}
</section></component>`;

describe('a pregnancy history becomes dated Observations with their LOINC codes, never an undated fact', () => {
  const xml = readFileSync(join(__dirname, '../../../fixtures/cda/prescription-deux-lignes.xml'), 'utf8');
  const plan = planCdaImport(Buffer.from(xml.replace('</structuredBody>', `${SECTION}</structuredBody>`)));
  const observations = resourcesOf<Observation>(plan.bundle, 'Observation');
  const byCode = (code: string) => observations.filter((o) => o.code.coding?.[0].code === code);

  it('maps the status and the expected delivery date, and reports nothing of the section as unmapped', () => {
    expect(observations).toHaveLength(2);
    expect(plan.unmapped).toEqual([]);
  });

  it('dates a status with no date of its own by the document that states it', () => {
    const [status] = byCode('11449-6');
    expect(status.valueCodeableConcept?.coding?.[0]).toEqual({ system: 'http://snomed.info/sct', code: '77386006', display: 'enceinte' });
    expect(status.effectiveDateTime).toBe('2025-06-20T10:00:00+02:00');
    // …and says so in the import's outcome: the date is not one the sender gave the observation.
    expect(plan.warnings).toContain('Entry s2.e1: pregnancy observation without a date of its own; dated by the document (2025-06-20)');
    expect(status.category?.[0].coding?.[0].code).toBe('social-history');
    expect(status.subject?.reference).toBe('Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|172037512304522');
  });

  it('keeps the expected delivery date as a date value, observed on its own date', () => {
    const [edd] = byCode('11778-8');
    expect(edd.valueDateTime).toBe('2025-11-15');
    expect(edd.effectiveDateTime).toBe('2025-06-20');
  });

  it('reports a negated pregnancy observation instead of turning it into a value', () => {
    expect(byCode('11449-6')).toHaveLength(1);
    expect(plan.warnings).toContain('Entry s2.e3: negated pregnancy observation; not represented');
  });
});
