import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AllergyIntolerance, Condition, Encounter, Immunization, Observation, Procedure } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// fixtures/cda/vsm-sujets-humeurs-statuts.xml: statements that do not say "this happened to the patient". Each was
// imported as a fact of the patient's record: the mother's diabetes and the newborn's jaundice as the patient's
// conditions, a cancelled hepatitis B vaccination and a planned influenza one as given, a goal weight as measured, a
// negated TSH with its « high » flag and a potassium asked for ("0 mmol/L", « low ») as results, a relative's breast
// cancer as the text of the patient's condition through an ID written twice. Expected facts read from the XML.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');

const codesOf = (concepts: ({ coding?: { code?: string }[]; text?: string } | undefined)[]): (string | undefined)[] =>
  concepts.map((c) => c?.coding?.[0]?.code ?? c?.text);

describe('statements that are not about the patient, not done, or entered in error are not facts of the record', () => {
  const plan = planCdaImport(Buffer.from(FIXTURE));

  it('keeps the patient\'s own problems only: not the mother\'s, not the newborn\'s, not a nullified or value-negated one', () => {
    const conditions = resourcesOf<Condition>(plan.bundle, 'Condition');
    expect(codesOf(conditions.map((c) => c.code))).toEqual(['195967001', '37796009']);
    expect(conditions.map((c) => c.clinicalStatus?.coding?.[0].code)).toEqual(['active', 'active']);
    expect(plan.warnings).toEqual(expect.arrayContaining([
      'Entry s1.e2: its subject is not the patient (MTH); not represented',
      'Entry s1.e3: statusCode "nullified": the statement was entered in error; not represented',
      'Entry s1.e4: valueNegationInd="true": its value is negated; not represented',
      'Section s5: its subject is not the patient (NCHILD); its entries are not represented',
    ]));
  });

  it('does not give a text referenced by an ID written twice to a condition (it was the mother\'s breast cancer)', () => {
    expect(JSON.stringify(plan.bundle)).not.toContain('Cancer du sein');
    expect(plan.warnings).toContainEqual(expect.stringContaining('Narrative ID "pb-6" is written more than once'));
  });

  it('records a cancelled vaccination as not done, and neither a planned nor a held one as given', () => {
    const immunizations = resourcesOf<Immunization>(plan.bundle, 'Immunization');
    expect(immunizations.map((i) => [i.vaccineCode.coding?.[0].code, i.status, i.occurrenceDateTime])).toEqual([
      ['08', 'not-done', '2025-03-03'],
      ['33', 'completed', '2025-03-05'],
    ]);
    expect(plan.warnings).toContainEqual(expect.stringContaining('Entry s2.e1: immunization in mood INT'));
    expect(plan.warnings).toContainEqual(expect.stringContaining('Entry s2.e3: vaccination with statusCode "held"'));
  });

  it('does not take a goal weight for a measurement', () => {
    const weights = resourcesOf<Observation>(plan.bundle, 'Observation').filter((o) => o.code.coding?.[0].code === '29463-7');
    expect(weights.map((w) => [w.valueQuantity?.value, w.valueQuantity?.code, w.effectiveDateTime, w.status])).toEqual([[72, 'kg', '2025-06-09', 'final']]);
  });

  it('keeps the results obtained on the patient: not a negated one, one asked for, nor one about the newborn; a held one is not final', () => {
    const results = resourcesOf<Observation>(plan.bundle, 'Observation').filter((o) => o.category?.[0].coding?.[0].code === 'laboratory' && !o.hasMember);
    expect(results.map((o) => [o.code.coding?.[0].code, o.valueQuantity?.value, o.status])).toEqual([
      ['15074-8', 5.2, 'final'],
      ['2160-0', 80, 'registered'],
    ]);
    const battery = resourcesOf<Observation>(plan.bundle, 'Observation').find((o) => o.code.coding?.[0].code === '24321-2');
    expect(battery?.hasMember).toHaveLength(2);
  });

  it('records a cancelled encounter as cancelled, not finished', () => {
    expect(resourcesOf<Encounter>(plan.bundle, 'Encounter').map((e) => [e.status, e.period?.start])).toEqual([['cancelled', '2025-04-02']]);
  });

  it('reads the allergen from the consumable participant, an allergy that ended as resolved, and no negated manifestation', () => {
    const allergies = resourcesOf<AllergyIntolerance>(plan.bundle, 'AllergyIntolerance');
    expect(allergies.map((a) => [a.code?.coding?.[0].code, a.clinicalStatus?.coding?.[0].code, a.onsetDateTime])).toEqual([
      ['764146007', 'resolved', '2010'],
      ['762952008', 'active', '2019'],
    ]);
    expect(allergies[1].reaction?.map((r) => codesOf(r.manifestation))).toEqual([['126485001']]);
    expect(plan.warnings).toContainEqual(expect.stringContaining('allergy manifestation negated'));
  });

  it('does not open a negated concern nor a planned act into facts: no tuberculosis, no colonoscopy done', () => {
    expect(codesOf(resourcesOf<Condition>(plan.bundle, 'Condition').map((c) => c.code))).not.toContain('56717001');
    expect(resourcesOf<Procedure>(plan.bundle, 'Procedure')).toEqual([]);
    expect(plan.warnings).toEqual(expect.arrayContaining([
      'Entry s9.e1: wrapping act negated (negationInd="true"); the statements it holds would be read as facts; not represented',
      'Entry s9.e2: wrapping act in mood INT; the statements it holds would be read as facts; not represented',
    ]));
  });

  it('lists what it left out in the import\'s unmapped content, by path', () => {
    expect(plan.unmapped.flatMap((u) => u.paths)).toEqual(['s1.e2', 's1.e3', 's1.e4', 's2.e1', 's3.e1.c2', 's4.e1.r1.c2', 's4.e1.r1.c3', 's4.e1.r1.c5', 's5.e1', 's9.e1', 's9.e2']);
  });
});

describe('a statement whose subject is the patient himself stays the patient\'s', () => {
  it('maps a problem with subject RoleCode ONESELF, and the same problem about the father is not mapped', () => {
    const migraine = (role: string) => planCdaImport(Buffer.from(FIXTURE.replace('<code code="ONESELF"', `<code code="${role}"`)));
    expect(codesOf(resourcesOf<Condition>(migraine('ONESELF').bundle, 'Condition').map((c) => c.code))).toContain('37796009');
    expect(codesOf(resourcesOf<Condition>(migraine('FTH').bundle, 'Condition').map((c) => c.code))).not.toContain('37796009');
  });
});

describe('a subject said as a participation of type SBJ is not the patient either', () => {
  it('does not make the mother\'s diabetes the patient\'s when the mother is a SBJ participant', () => {
    const subject = /<subject typeCode="SBJ">\s*<relatedSubject classCode="PRS"><code code="MTH" codeSystem="2.16.840.1.113883.5.111"\/><\/relatedSubject>\s*<\/subject>/;
    expect(FIXTURE).toMatch(subject);
    const xml = FIXTURE.replace(subject, '<participant typeCode="SBJ"><participantRole classCode="PRS"><code code="MTH" codeSystem="2.16.840.1.113883.5.111"/></participantRole></participant>');
    const plan = planCdaImport(Buffer.from(xml));
    expect(codesOf(resourcesOf<Condition>(plan.bundle, 'Condition').map((c) => c.code))).not.toContain('44054006');
    expect(plan.warnings).toContain('Entry s1.e2: its subject is not the patient (MTH); not represented');
  });
});
