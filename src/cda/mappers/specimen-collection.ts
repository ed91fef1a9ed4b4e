import type { Specimen } from '@medplum/fhirtypes';
import { all, at, attr, childrenNamed, templateIds } from '../cda-node';
import { toCodeableConcept, toDateTimeOf, toIdentifier, toPeriod } from '../datatypes';
import { extractedBase } from '../mapping-context';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';

/** XD-LAB Specimen Collection procedure / CI-SIS FR-Prelevement. */
const COLLECTION_TEMPLATES = ['1.3.6.1.4.1.19376.1.3.1.2', '1.2.250.1.213.1.1.3.77'];
/** XD-LAB Specimen Received act. */
const RECEIVED_TEMPLATE = '1.3.6.1.4.1.19376.1.3.1.3';

/**
 * A specimen collection beside lab results (urine, blood …) → Specimen: its type from the collected entity, its
 * identifier, when it was collected and received. The results of the same section that name no specimen of their
 * own refer to it (`ctx.collectedSpecimens`), and so does the section's DiagnosticReport through them.
 */
export const specimenCollectionMapper: EntryMapper = {
  name: 'specimen-collection',
  matches: (ids, node) => node.name === 'procedure' && hasAnyTemplate(ids, COLLECTION_TEMPLATES),
  map(statement, location, ctx) {
    const role = all(statement, 'participant/participantRole').find((r) => attr(r, 'classCode') === 'SPEC') ?? at(statement, 'participant/participantRole');
    const type = toCodeableConcept(at(role, 'playingEntity/code'));
    if (!type) {
      ctx.warnings.push(`Entry ${location.path}: specimen collection without a specimen type; not represented`);
      return;
    }
    const specimen: Specimen = { resourceType: 'Specimen', ...extractedBase(ctx, statement, location.path), type, subject: ctx.patient };
    const accession = toIdentifier(at(role, 'id'));
    if (accession) specimen.accessionIdentifier = accession;
    const time = at(statement, 'effectiveTime');
    const collected = toDateTimeOf(time);
    const period = collected ? undefined : toPeriod(time);
    if (collected) specimen.collection = { collectedDateTime: collected };
    else if (period?.start && period.end) specimen.collection = { collectedPeriod: period };
    else if (period?.start ?? period?.end) specimen.collection = { collectedDateTime: period.start ?? period.end };
    const method = toCodeableConcept(at(statement, 'methodCode'));
    if (method) specimen.collection = { ...specimen.collection, method };
    const site = toCodeableConcept(at(statement, 'targetSiteCode'));
    if (site) specimen.collection = { ...specimen.collection, bodySite: site };
    const received = childrenNamed(statement, 'entryRelationship')
      .map((r) => at(r, 'act'))
      .find((a) => a && templateIds(a).includes(RECEIVED_TEMPLATE));
    const receivedTime = toDateTimeOf(at(received, 'effectiveTime'));
    if (receivedTime) specimen.receivedTime = receivedTime;
    const fullUrl = ctx.builder.add(specimen, ctx.builder.urnFor(`specimen:${location.path}`));
    ctx.collectedSpecimens.set(location.section, { reference: fullUrl });
  },
};
