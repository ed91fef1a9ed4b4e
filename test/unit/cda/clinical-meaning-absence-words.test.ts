import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AllergyIntolerance, Condition, MedicationStatement } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// « Pas de traitement » said in words, not in a code. The header is the one of
// fixtures/cda/vsm-sujets-humeurs-statuts.xml; the entries are written here and the expected facts read from them.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string): Buffer =>
  Buffer.from(FIXTURE.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const section = (code: string, text: string, entries: string) => `<component><section><code code="${code}" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>${text}</text>${entries}</section></component>`;
const SNOMED = '2.16.840.1.113883.6.96';
const medication = (material: string) => `<entry><substanceAdministration classCode="SBADM" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.7"/>
  <statusCode code="completed"/><effectiveTime xsi:type="IVL_TS"><low value="20250101"/></effectiveTime>
  <consumable><manufacturedProduct><manufacturedMaterial>${material}</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>`;
const problem = (value: string) => `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5"/>
  <code code="55607006" codeSystem="${SNOMED}"/><statusCode code="completed"/><effectiveTime><low value="20200101"/></effectiveTime>${value}</observation></entry>`;

describe('an absence written in words is no medication, allergy or problem', () => {
  const plan = planCdaImport(withBody([
    section('10160-0', '<content ID="m2">Pas de traitement</content>', [
      medication('<code nullFlavor="NA"><originalText>Pas de traitement</originalText></code>'),
      medication('<code nullFlavor="NA"><originalText><reference value="#m2"/></originalText></code>'),
      medication('<code nullFlavor="UNK"/><name>Aucun traitement en cours</name>'),
      medication('<code code="60234100" codeSystem="1.2.250.1.213.2.3.1" displayName="DOLIPRANE 1000 mg"/>'),
    ].join('')),
    section('48765-2', 'x', `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.6"/>
      <code code="420134006" codeSystem="${SNOMED}"/><statusCode code="completed"/><effectiveTime><low nullFlavor="UNK"/></effectiveTime>
      <value xsi:type="CD" nullFlavor="OTH"><originalText>Pas d'allergie connue</originalText></value></observation></entry>`),
    section('11450-4', 'x', [
      problem('<value xsi:type="CD" nullFlavor="OTH"><originalText>Sans antécédent notable</originalText></value>'),
      problem('<value xsi:type="CD" nullFlavor="OTH"><originalText>Absence de rein droit</originalText></value>'),
      problem('<value xsi:type="CD" nullFlavor="OTH"><originalText>Sans domicile fixe</originalText></value>'),
    ].join('')),
  ].join('')));

  it('makes no MedicationStatement of « Pas de traitement » (text, referenced narrative or name), and says so', () => {
    const statements = resourcesOf<MedicationStatement>(plan.bundle, 'MedicationStatement');
    expect(statements.map((m) => m.medicationCodeableConcept?.coding?.[0]?.code)).toEqual(['60234100']);
    expect(plan.warnings).toEqual(expect.arrayContaining(['s1.e1', 's1.e2', 's1.e3'].map((p) => `Entry ${p}: states no known medication; not represented`)));
  });

  it('makes no active allergy named « Pas d\'allergie connue »', () => {
    expect(resourcesOf<AllergyIntolerance>(plan.bundle, 'AllergyIntolerance')).toEqual([]);
    expect(plan.warnings).toContain('Entry s2.e1: allergy entry whose words state an absence; not represented');
  });

  it('makes no problem of « Sans antécédent notable », and keeps conditions named « Absence de … » or « Sans … »', () => {
    const texts = resourcesOf<Condition>(plan.bundle, 'Condition').map((c) => c.code?.text);
    expect(texts).toEqual(['Absence de rein droit', 'Sans domicile fixe']);
    expect(plan.warnings).toContain('Entry s3.e1: states no known problem; not represented');
  });
});
