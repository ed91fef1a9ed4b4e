import type { DiagnosticReport, ImagingStudy } from '@medplum/fhirtypes';
import { all, at, attr, templateIds, textOf } from '../cda-node';
import { CDA_ENTRY_SYSTEM } from '../code-systems';
import { toCodeableConcept, toDateTimeOf, toPeriod } from '../datatypes';
import { sourceExtension, type MappingContext } from '../mapping-context';
import type { XmlNode } from '../xml-tree';

const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';
const CONCLUSION_TEMPLATES = ['1.2.840.10008.9.5', '1.2.250.1.213.1.1.2.209'];
const CONCLUSION_CODES = ['19005-8', '55110-1'];

/**
 * One ImagingStudy per documented Study Instance UID (serviceEvent/id), extracted from this document like its other
 * entries (source-document extension, `<document id>#study-<n>` identifier beside the DICOM UID). It is the
 * document's, not shared with other reports on the same study: its procedure code says what was examined (a pelvic
 * MRI, a scintigraphy), so it must be masked with the report, hidden from whom the report is hidden, written by
 * whom files the report (a feeder writes only a document's parts) and retired when the report is replaced. Two
 * reports on one study therefore give two ImagingStudy rows with the same DICOM UID. Returns fullUrl by UID, for the
 * DocumentReference and the report.
 */
export function addImagingStudies(doc: XmlNode, ctx: MappingContext): Map<string, string> {
  const studies = new Map<string, string>();
  for (const event of all(doc, 'documentationOf/serviceEvent')) {
    const uid = attr(at(event, 'id'), 'root');
    if (!uid || studies.has(uid)) continue;
    const study: ImagingStudy = {
      resourceType: 'ImagingStudy',
      extension: [sourceExtension(ctx)],
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }, { system: CDA_ENTRY_SYSTEM, value: `${ctx.documentKey}#study-${studies.size + 1}` }],
      status: 'available',
      subject: ctx.patient,
    };
    const code = toCodeableConcept(at(event, 'code'));
    if (code) study.procedureCode = [code];
    const started = toPeriod(at(event, 'effectiveTime'))?.start;
    if (started) study.started = started;
    const fullUrl = ctx.builder.urnFor(`study-${studies.size + 1}`);
    ctx.builder.add(study, fullUrl);
    studies.set(uid, fullUrl);
  }
  return studies;
}

/** Imaging report → DiagnosticReport (category RAD) with the conclusion text and the studies it reports on. */
export function addImagingReport(doc: XmlNode, studies: Map<string, string>, ctx: MappingContext): void {
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    extension: [sourceExtension(ctx)],
    identifier: [{ system: CDA_ENTRY_SYSTEM, value: `${ctx.documentKey}#imaging-report` }],
    status: 'final',
    category: [{ coding: [{ system: V2_0074, code: 'RAD', display: 'Radiology' }] }],
    code: toCodeableConcept(at(doc, 'code')) ?? { text: 'Imaging report' },
    subject: ctx.patient,
  };
  // The exam's time (serviceEvent), never the document's date (when the report was written: `issued`).
  const effective = toPeriod(at(doc, 'documentationOf/serviceEvent/effectiveTime'))?.start;
  if (effective) report.effectiveDateTime = effective;
  else ctx.warnings.push(`Imaging report: no exam date (documentationOf/serviceEvent/effectiveTime); the document's date is not taken for it`);
  const issued = toDateTimeOf(at(doc, 'effectiveTime'));
  if (issued && issued.length > 10) report.issued = issued;
  if (studies.size) report.imagingStudy = [...studies.values()].map((reference) => ({ reference }));
  const conclusion = findConclusion(all(doc, 'component/structuredBody/component/section'));
  const text = textOf(at(conclusion, 'text'));
  if (text) report.conclusion = text;
  ctx.builder.add(report, ctx.builder.urnFor('imaging-report'));
}

function findConclusion(sections: XmlNode[]): XmlNode | undefined {
  for (const section of sections) {
    const isConclusion =
      templateIds(section).some((t) => CONCLUSION_TEMPLATES.includes(t)) || CONCLUSION_CODES.includes(attr(at(section, 'code'), 'code') ?? '');
    if (isConclusion) return section;
    const nested = findConclusion(all(section, 'component/section'));
    if (nested) return nested;
  }
  return undefined;
}
