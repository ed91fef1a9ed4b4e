import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AllergyIntolerance, Condition, MedicationRequest, Procedure } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Statements inside a statement (a problem's status or certainty, an allergy's criticality, a procedure's reasons, a
// prescription line's qualifiers and reasons) read as they are written. The header is the one of
// fixtures/cda/vsm-sujets-humeurs-statuts.xml; each body below is written here, and the expected facts read from it.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string): Buffer =>
  Buffer.from(FIXTURE.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const section = (entries: string) => `<component><section><code code="11450-4" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>x</text>${entries}</section></component>`;
const SNOMED = '2.16.840.1.113883.6.96';
const problem = (value: string, parts: string) => `<entry><observation classCode="OBS" moodCode="EVN">
  <templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5"/><code code="55607006" codeSystem="${SNOMED}"/><statusCode code="completed"/>
  <effectiveTime><low value="20240115"/></effectiveTime><value xsi:type="CD" code="${value}" codeSystem="${SNOMED}"/>${parts}</observation></entry>`;
const status = (value: string, attrs = '', inner = '') => `<entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN" ${attrs}>
  <templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.1.1"/><code code="33999-4" codeSystem="2.16.840.1.113883.6.1"/>${inner}<statusCode code="completed"/>
  <value xsi:type="CD" code="${value}" codeSystem="${SNOMED}"/></observation></entryRelationship>`;
const qualifier = (loinc: string, value: string, attrs = '') => `<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN" ${attrs}>
  <code code="${loinc}" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/><value xsi:type="CD" code="${value}" codeSystem="x"/></observation></entryRelationship>`;
const MOTHER = '<subject typeCode="SBJ"><relatedSubject classCode="PRS"><code code="MTH" codeSystem="2.16.840.1.113883.5.111"/></relatedSubject></subject>';

describe('a problem\'s or an allergy\'s status and qualifiers are read only when stated as facts about the patient', () => {
  const plan = planCdaImport(withBody(section([
    problem('195967001', status('55561003', 'negationInd="true"')), // asthma, status « not active »
    problem('37796009', status('413322009', '', '') .replace('<statusCode code="completed"/>', '<statusCode code="nullified"/>')), // migraine, « resolved » in error
    problem('38341003', qualifier('66455-7', 'refuted', 'negationInd="true"')), // hypertension, « not refuted »
    problem('44054006', status('73425007', '', MOTHER)), // diabetes, the mother's status « inactive »
  ].join(''))));
  const conditions = resourcesOf<Condition>(plan.bundle, 'Condition');
  const byCode = (code: string) => conditions.find((c) => c.code?.coding?.[0].code === code) as Condition;

  it('gives no clinical status from a negated status observation ("not active" is no status)', () => {
    expect(byCode('195967001').clinicalStatus).toBeUndefined();
    expect(byCode('195967001').verificationStatus?.coding?.[0].code).toBe('confirmed');
    expect(plan.warnings).toContain('Entry s1.e1.r1: problem status observation: negated (negationInd="true"); not represented; the problem is given no clinical status');
  });

  it('reads the status from the dates when the status observation is nullified or about someone else', () => {
    expect(byCode('37796009').clinicalStatus?.coding?.[0].code).toBe('active');
    expect(byCode('44054006').clinicalStatus?.coding?.[0].code).toBe('active');
    expect(plan.warnings).toContain('Entry s1.e4.r1: problem status observation: its subject is not the patient (MTH); not represented; the clinical status is read from the dates');
  });

  it('does not make a problem refuted from a negated « refuted » certainty', () => {
    expect(byCode('38341003').verificationStatus?.coding?.[0].code).toBe('confirmed');
    expect(byCode('38341003').clinicalStatus?.coding?.[0].code).toBe('active');
  });

  it('lists the parts left out as unmapped content', () => {
    expect(plan.unmapped.flatMap((u) => u.paths).sort()).toEqual(['s1.e1.r1', 's1.e2.r1', 's1.e3.r1', 's1.e4.r1']);
  });

  it('reads an allergy\'s status and criticality without a nullified status or a negated criticality', () => {
    const allergy = `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.6"/>
      <code code="419199007" codeSystem="${SNOMED}"/><statusCode code="completed"/><effectiveTime><low value="2010"/></effectiveTime>
      <value xsi:type="CD" code="419199007" codeSystem="${SNOMED}"/>
      <participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT"><code code="764146007" codeSystem="${SNOMED}"/></playingEntity></participantRole></participant>
      ${status('73425007').replace('<statusCode code="completed"/>', '<statusCode code="nullified"/>')}${qualifier('82606-5', 'high', 'negationInd="true"')}</observation></entry>`;
    const allergies = planCdaImport(withBody(section(allergy)));
    const [found] = resourcesOf<AllergyIntolerance>(allergies.bundle, 'AllergyIntolerance');
    expect(found.clinicalStatus?.coding?.[0].code).toBe('active');
    expect(found.criticality).toBeUndefined();
    expect(allergies.unmapped.flatMap((u) => u.paths)).toEqual(['s1.e1.r1', 's1.e1.r2']);
  });
});

describe('a procedure\'s reasons are the patient\'s reasons, stated as facts', () => {
  it('keeps appendicitis, not a negated pain, the mother\'s gallstones nor a reason in mood INT', () => {
    const reason = (code: string, attrs = '', inner = '') => `<entryRelationship typeCode="RSON"><observation classCode="OBS" ${attrs}>
      <code code="55607006" codeSystem="${SNOMED}"/>${inner}<value xsi:type="CD" code="${code}" codeSystem="${SNOMED}"/></observation></entryRelationship>`;
    const procedure = `<entry><procedure classCode="PROC" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.19"/>
      <code code="80146002" codeSystem="${SNOMED}"/><statusCode code="completed"/><effectiveTime value="20250110"/>
      ${reason('21522001', 'moodCode="EVN" negationInd="true"')}${reason('235919008', 'moodCode="EVN"', MOTHER)}${reason('271737000', 'moodCode="INT"')}${reason('85189001', 'moodCode="EVN"')}</procedure></entry>`;
    const plan = planCdaImport(withBody(section(procedure)));
    const [done] = resourcesOf<Procedure>(plan.bundle, 'Procedure');
    expect(done.reasonCode?.map((c) => c.coding?.[0].code)).toEqual(['85189001']);
    expect(plan.warnings).toContain('Entry s1.e1.r1: procedure reason: negated (negationInd="true"); not represented');
    expect(plan.unmapped.flatMap((u) => u.paths)).toEqual(['s1.e1.r1', 's1.e1.r2', 's1.e1.r3']);
  });
});

describe('a prescription line\'s qualifiers and reasons are read only when stated as facts', () => {
  it('does not make the line an ALD one from a negated qualifier, nor the mother\'s condition its reason', () => {
    const xml = readFileSync(join(__dirname, '../../../fixtures/cda/prescription-qualifiers.xml'), 'utf8');
    const ald = '<templateId root="1.2.250.1.213.1.1.3.48.13"/>';
    expect(xml).toContain(ald);
    const changed = xml
      .replace(/<observation classCode="OBS" moodCode="EVN">(\s*<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"\/>\s*<templateId root="1.2.250.1.213.1.1.3.48"\/>\s*<templateId root="1.2.250.1.213.1.1.3.48.13"\/>)/,
        '<observation classCode="OBS" moodCode="EVN" negationInd="true">$1')
      .replace('<entryRelationship typeCode="COMP">', `<entryRelationship typeCode="RSON"><observation classCode="OBS" moodCode="EVN"><code code="55607006" codeSystem="${SNOMED}"/>${MOTHER}<value xsi:type="CD" code="44054006" codeSystem="${SNOMED}"/></observation></entryRelationship><entryRelationship typeCode="COMP">`);
    const before = resourcesOf<MedicationRequest>(planCdaImport(Buffer.from(xml)).bundle, 'MedicationRequest')[0];
    expect(before.contained?.map((c) => c.id)).toContain('ald');
    const plan = planCdaImport(Buffer.from(changed));
    const [line] = resourcesOf<MedicationRequest>(plan.bundle, 'MedicationRequest');
    expect(line.contained?.map((c) => c.id)).not.toContain('ald');
    expect(line.reasonCode).toBeUndefined();
    expect(plan.warnings.filter((w) => w.startsWith('Entry s1.e1.r'))).toEqual([
      expect.stringMatching(/^Entry s1\.e1\.r2: statement inside the prescription line \(observation\): its subject is not the patient \(MTH\); not represented$/),
      expect.stringMatching(/^Entry s1\.e1\.r6: statement inside the prescription line \(observation .*1\.2\.250\.1\.213\.1\.1\.3\.48\.13\): negated \(negationInd="true"\); not represented$/),
    ]);
  });
});
