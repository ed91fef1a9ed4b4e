import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Immunization, Practitioner, Procedure } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { FhirError } from '../../../src/fhir/errors';
import { resourcesOf } from './summarize-plan';

// Who did what, and about whom. The header is the one of fixtures/cda/vsm-sujets-humeurs-statuts.xml; each body or
// header change is written here and the expected facts are read from it.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string, header = FIXTURE): Buffer =>
  Buffer.from(header.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const section = (code: string, entries: string) => `<component><section><code code="${code}" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>x</text>${entries}</section></component>`;
const person = (rpps: string, family: string) => `<id root="1.2.250.1.71.4.2.1" extension="${rpps}"/><assignedPerson><name><family>${family}</family></name></assignedPerson>`;
const AUTHOR = `<author><time value="20250601"/><assignedAuthor>${person('810000000001', 'SCRIBE')}</assignedAuthor></author>`;
const PERFORMER = `<performer typeCode="PRF"><assignedEntity>${person('810000000002', 'CHIRURGIEN')}</assignedEntity></performer>`;

describe('the author of a statement recorded it; only its performer did it', () => {
  const procedure = (parts: string) => `<entry><procedure classCode="PROC" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.19"/>
    <code code="80146002" codeSystem="2.16.840.1.113883.6.96"/><statusCode code="completed"/><effectiveTime value="20180110"/>${parts}</procedure></entry>`;
  const vaccination = (parts: string) => `<entry><substanceAdministration classCode="SBADM" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.12"/>
    <statusCode code="completed"/><effectiveTime value="20240110"/><consumable><manufacturedProduct><manufacturedMaterial>
    <code code="J07AM01" codeSystem="2.16.840.1.113883.6.73"/></manufacturedMaterial></manufacturedProduct></consumable>${parts}</substanceAdministration></entry>`;
  const plan = planCdaImport(withBody(section('47519-4', procedure(AUTHOR) + procedure(PERFORMER + AUTHOR)) + section('11369-6', vaccination(AUTHOR))));
  const practitioners = new Map(
    (plan.bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Practitioner').map((e) => [e.fullUrl, (e.resource as Practitioner).name?.[0]?.family]),
  );
  const family = (reference?: string) => (reference ? practitioners.get(reference) : undefined);
  const [recordedOnly, performed] = resourcesOf<Procedure>(plan.bundle, 'Procedure');

  it('does not make the author of an appendectomy its performer', () => {
    expect(recordedOnly.performer).toBeUndefined();
    expect(family(recordedOnly.recorder?.reference)).toBe('SCRIBE');
  });

  it('keeps the performer as performer and the author as recorder', () => {
    expect(performed.performer?.map((p) => family(p.actor.reference))).toEqual(['CHIRURGIEN']);
    expect(family(performed.recorder?.reference)).toBe('SCRIBE');
  });

  it('does not make the author of a vaccination record the vaccinator', () => {
    const [immunization] = resourcesOf<Immunization>(plan.bundle, 'Immunization');
    expect(immunization.performer).toBeUndefined();
  });
});

describe('a document about several patients', () => {
  it('is refused rather than filed in the first one\'s record', () => {
    const target = FIXTURE.match(/<recordTarget>[\s\S]*?<\/recordTarget>/)?.[0] as string;
    const twice = FIXTURE.replace(target, target + target.replace('<recordTarget>', '<recordTarget><!-- the twin -->'));
    expect(() => planCdaImport(withBody(section('11450-4', ''), twice))).toThrow(FhirError);
    expect(() => planCdaImport(withBody(section('11450-4', ''), twice))).toThrow(/2 recordTarget/);
  });
});
