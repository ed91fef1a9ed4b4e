import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AllergyIntolerance, Condition, Observation } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// An end at an unknown date, a severity, a value the sender could not code. The header is the one of
// fixtures/cda/vsm-sujets-humeurs-statuts.xml (a summary dated 10 June 2025); each body is written here and the
// expected facts are read from it.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string): Buffer =>
  Buffer.from(FIXTURE.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const section = (code: string, entries: string) => `<component><section><code code="${code}" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>x</text>${entries}</section></component>`;
const SNOMED = '2.16.840.1.113883.6.96';
const PCC_PROBLEM = '1.3.6.1.4.1.19376.1.5.3.1.4.5';
const CCDA_PROBLEM = '2.16.840.1.113883.10.20.22.4.4';
const problem = (template: string, value: string, time: string, parts = '') => `<entry><observation classCode="OBS" moodCode="EVN">
  <templateId root="${template}"/><code code="55607006" codeSystem="${SNOMED}"/><statusCode code="completed"/>
  <effectiveTime>${time}</effectiveTime><value xsi:type="CD" code="${value}" codeSystem="${SNOMED}"/>${parts}</observation></entry>`;
const status = (value: string) => `<entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">
  <templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.1.1"/><code code="33999-4" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/>
  <value xsi:type="CD" code="${value}" codeSystem="${SNOMED}"/></observation></entryRelationship>`;
const severity = (value: string, attrs = '') => `<entryRelationship typeCode="SUBJ" inversionInd="true"><observation classCode="OBS" moodCode="EVN" ${attrs}>
  <templateId root="1.2.250.1.213.1.1.3.29"/><code code="SEV" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>
  ${value}</observation></entryRelationship>`;
const sev = (code: string) => `<value xsi:type="CD" code="${code}" codeSystem="${SNOMED}"/>`;
const UNKNOWN_END = '<low value="20190301"/><high nullFlavor="UNK"/>';

describe('a problem that ended at an unknown date is never stated active', () => {
  const plan = planCdaImport(withBody(section('11450-4', [
    problem(CCDA_PROBLEM, '195967001', UNKNOWN_END), // asthma, C-CDA: ended, date unknown
    problem(PCC_PROBLEM, '38341003', UNKNOWN_END), // hypertension, CI-SIS/PCC: end not known, no status
    problem(PCC_PROBLEM, '44054006', UNKNOWN_END, status('413322009')), // diabetes, end unknown, status « resolved »
    problem(PCC_PROBLEM, '49436004', UNKNOWN_END, status('55561003')), // atrial fibrillation, end unknown, status « active »
    problem(CCDA_PROBLEM, '37796009', UNKNOWN_END, status('55561003')), // migraine, C-CDA ended yet status « active »
    problem(PCC_PROBLEM, '73211009', '<low value="20190301"/><high nullFlavor="NA"/>'), // diabetes mellitus, no end applies
  ].join(''))));
  const byCode = (code: string) => resourcesOf<Condition>(plan.bundle, 'Condition').find((c) => c.code?.coding?.[0].code === code) as Condition;
  const clinical = (code: string) => byCode(code).clinicalStatus?.coding?.[0].code;

  it('reads a C-CDA problem whose end is UNK as inactive (C-CDA: a high present means no longer active)', () => {
    expect(clinical('195967001')).toBe('inactive');
    expect(byCode('195967001').abatementDateTime).toBeUndefined();
  });

  it('gives a CI-SIS problem with an unknown end and no status observation no clinical status, with a warning', () => {
    expect(byCode('38341003').clinicalStatus).toBeUndefined();
    expect(byCode('38341003').verificationStatus?.coding?.[0].code).toBe('confirmed');
    expect(plan.warnings).toContain('Entry s1.e2: problem end date unknown (effectiveTime/high nullFlavor="UNK") and no status observation: whether it is still active is not stated; no clinical status given');
  });

  it('follows the status observation when there is one beside an unknown end', () => {
    expect(clinical('44054006')).toBe('resolved');
    expect(clinical('49436004')).toBe('active');
  });

  it('gives no status to a C-CDA problem said active but ended at an unknown date', () => {
    expect(byCode('37796009').clinicalStatus).toBeUndefined();
    expect(plan.warnings).toContainEqual(expect.stringContaining('Entry s1.e5: problem status "active" but an end at an unknown date'));
  });

  it('keeps a problem whose end is « not applicable » active', () => {
    expect(clinical('73211009')).toBe('active');
  });
});

describe('an allergy that ended at an unknown date', () => {
  const allergy = (template: string, agent: string) => `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="${template}"/>
    <code code="419199007" codeSystem="${SNOMED}"/><statusCode code="completed"/><effectiveTime>${UNKNOWN_END}</effectiveTime>
    <value xsi:type="CD" code="419199007" codeSystem="${SNOMED}"/>
    <participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT"><code code="${agent}" codeSystem="${SNOMED}"/></playingEntity></participantRole></participant></observation></entry>`;
  const plan = planCdaImport(withBody(section('48765-2', allergy('2.16.840.1.113883.10.20.22.4.7', '764146007') + allergy('1.3.6.1.4.1.19376.1.5.3.1.4.6', '91936005'))));
  const byAgent = (code: string) => resourcesOf<AllergyIntolerance>(plan.bundle, 'AllergyIntolerance').find((a) => a.code?.coding?.[0].code === code) as AllergyIntolerance;

  it('is inactive in a C-CDA allergy observation', () => {
    expect(byAgent('764146007').clinicalStatus?.coding?.[0].code).toBe('inactive');
  });

  it('stays active (R4 requires a status) with a warning in a CI-SIS/PCC one', () => {
    expect(byAgent('91936005').clinicalStatus?.coding?.[0].code).toBe('active');
    expect(plan.warnings).toContainEqual(expect.stringContaining('Entry s1.e2: allergy end date unknown'));
  });
});

describe('severity of a problem and of an allergy reaction', () => {
  it('maps a coded problem severity to Condition.severity, and says why an uncoded or refused one is not', () => {
    const plan = planCdaImport(withBody(section('11450-4', [
      problem(PCC_PROBLEM, '195967001', '<low value="20190301"/>', severity(sev('24484000'))), // asthma, severe
      problem(PCC_PROBLEM, '38341003', '<low value="20190301"/>', severity('<value xsi:type="CD" nullFlavor="UNK"/>')),
      problem(PCC_PROBLEM, '44054006', '<low value="20190301"/>', severity(sev('24484000'), 'negationInd="true"')), // « not severe »
    ].join(''))));
    const byCode = (code: string) => resourcesOf<Condition>(plan.bundle, 'Condition').find((c) => c.code?.coding?.[0].code === code) as Condition;
    expect(byCode('195967001').severity).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '24484000' }] });
    expect(byCode('38341003').severity).toBeUndefined();
    expect(plan.warnings).toContain('Entry s1.e2.r1: problem severity not coded; not represented');
    expect(byCode('44054006').severity).toBeUndefined();
    expect(plan.warnings).toContain('Entry s1.e3.r1: problem severity observation: negated (negationInd="true"); not represented');
    expect(plan.unmapped.flatMap((u) => u.paths)).toEqual(['s1.e3.r1']);
  });

  it('gives each reaction its own severity, and reports a severity of the allergy as a whole', () => {
    const reaction = (code: string, parts: string) => `<entryRelationship typeCode="MFST" inversionInd="true"><observation classCode="OBS" moodCode="EVN">
      <templateId root="2.16.840.1.113883.10.20.22.4.9"/><code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>
      <value xsi:type="CD" code="${code}" codeSystem="${SNOMED}"/>${parts}</observation></entryRelationship>`;
    const entry = `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.7"/>
      <code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/><effectiveTime><low value="2010"/></effectiveTime>
      <value xsi:type="CD" code="419199007" codeSystem="${SNOMED}"/>
      <participant typeCode="CSM"><participantRole classCode="MANU"><playingEntity classCode="MMAT"><code code="764146007" codeSystem="${SNOMED}"/></playingEntity></participantRole></participant>
      ${reaction('39579001', severity(sev('24484000')))}${reaction('247472004', severity(sev('255604002')))}${reaction('271807003', severity(sev('371923003')))}
      ${severity(sev('6736007'))}</observation></entry>`;
    const plan = planCdaImport(withBody(section('48765-2', entry)));
    const [found] = resourcesOf<AllergyIntolerance>(plan.bundle, 'AllergyIntolerance');
    // anaphylaxis severe, hives mild, rash « mild to moderate » (none of R4's three: no severity)
    expect(found.reaction?.map((r) => [r.manifestation[0].coding?.[0].code, r.severity])).toEqual([
      ['39579001', 'severe'], ['247472004', 'mild'], ['271807003', undefined],
    ]);
    expect(plan.warnings).toContain('Entry s1.e1.mfst3.r1: reaction severity coded 371923003, not one of mild, moderate, severe; not represented');
    expect(plan.warnings).toContain('Entry s1.e1.r4: severity of the allergy as a whole (not of a reaction); not represented');
    expect(plan.unmapped.flatMap((u) => u.paths)).toEqual(['s1.e1.r4']);
  });
});

describe('a value the sender could not code (nullFlavor OTH) keeps the sender\'s words', () => {
  const result = (value: string) => {
    const entry = `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.3.1.6"/>
      <code code="634-6" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/><effectiveTime value="20250609"/>${value}</observation></entry>`;
    const plan = planCdaImport(withBody(section('11502-2', entry)));
    return resourcesOf<Observation>(plan.bundle, 'Observation').find((o) => o.code.coding?.[0].code === '634-6') as Observation;
  };

  it('keeps the originalText as the value\'s text, with no coding and no data-absent reason', () => {
    const observation = result('<value xsi:type="CD" nullFlavor="OTH"><originalText>Streptococcus du groupe G</originalText></value>');
    expect(observation.valueCodeableConcept).toEqual({ text: 'Streptococcus du groupe G' });
    expect(observation.dataAbsentReason).toBeUndefined();
  });

  it('still says « unknown » for an OTH with nothing written, and for an UNK', () => {
    expect(result('<value xsi:type="CD" nullFlavor="OTH"/>').dataAbsentReason?.coding?.[1].code).toBe('OTH');
    expect(result('<value xsi:type="CD" nullFlavor="UNK"><originalText>x</originalText></value>').valueCodeableConcept).toBeUndefined();
  });
});
