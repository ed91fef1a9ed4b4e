import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Condition } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// A sender's local code with the standard code as its translation. The header is the one of
// fixtures/cda/vsm-sujets-humeurs-statuts.xml; the problems are written here and the expected facts read from them.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string): Buffer =>
  Buffer.from(FIXTURE.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const SNOMED = '2.16.840.1.113883.6.96';
const LOCAL = '1.2.250.1.999.77';
const problem = (value: string, parts: string) => `<entry><observation classCode="OBS" moodCode="EVN">
  <templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.5"/><code code="55607006" codeSystem="${SNOMED}"/><statusCode code="completed"/>
  <effectiveTime><low value="20200115"/></effectiveTime>${value}${parts}</observation></entry>`;
const part = (code: string, value: string, template = '') => `<entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">
  ${template}<code code="${code}" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/>${value}</observation></entryRelationship>`;

describe('a local code read through its translation', () => {
  const plan = planCdaImport(withBody(`<component><section><code code="11450-4" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>x</text>${[
    // pneumonia, status « RESOLU » (local) = 413322009 resolved (SNOMED CT translation)
    problem(`<value xsi:type="CD" code="233604007" codeSystem="${SNOMED}"/>`, part('33999-4',
      `<value xsi:type="CD" code="RESOLU" codeSystem="${LOCAL}"><translation code="413322009" codeSystem="${SNOMED}"/></value>`,
      '<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.1.1"/>')),
    // asthma, certainty « NC » (local) = unconfirmed
    problem(`<value xsi:type="CD" code="195967001" codeSystem="${SNOMED}"/>`, part('66455-7',
      `<value xsi:type="CD" code="NC" codeSystem="${LOCAL}"><translation code="unconfirmed" codeSystem="2.16.840.1.113883.4.642.4.1075"/></value>`)),
    // a local diagnosis code with its CIM-10 translation
    problem(`<value xsi:type="CD" code="HTA-01" codeSystem="${LOCAL}" displayName="HTA"><translation code="I10" codeSystem="2.16.840.1.113883.6.3"/></value>`, ''),
  ].join('')}</section></component>`));
  const byCode = (code: string) => resourcesOf<Condition>(plan.bundle, 'Condition').find((c) => c.code?.coding?.some((k) => k.code === code)) as Condition;

  it('reads a status observation whose standard code is a translation: resolved, not active', () => {
    expect(byCode('233604007').clinicalStatus?.coding?.[0].code).toBe('resolved');
  });

  it('reads a certainty whose standard code is a translation: unconfirmed, not confirmed', () => {
    expect(byCode('195967001').verificationStatus?.coding?.[0].code).toBe('unconfirmed');
  });

  it('keeps the sender\'s code first and its translation after, both', () => {
    expect(byCode('I10').code?.coding).toEqual([
      { system: `urn:oid:${LOCAL}`, code: 'HTA-01', display: 'HTA' },
      { system: 'http://hl7.org/fhir/sid/icd-10', code: 'I10' },
    ]);
  });
});
