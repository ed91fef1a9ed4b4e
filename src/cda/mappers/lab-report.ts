import type { DiagnosticReport, Reference, Specimen } from '@medplum/fhirtypes';
import { at } from '../cda-node';
import { CDA_ENTRY_SYSTEM } from '../code-systems';
import { toCodeableConcept, toDateTimeOf, toInstantOf } from '../datatypes';
import { sourceExtension, type CollectedResult, type MappingContext } from '../mapping-context';
import type { XmlNode } from '../xml-tree';

const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';

/** One DiagnosticReport per top-level section holding lab results, listing its results and specimens. */
export function addLabReports(doc: XmlNode, ctx: MappingContext): void {
  const bySection = new Map<XmlNode, CollectedResult[]>();
  for (const result of ctx.results) bySection.set(result.section, [...(bySection.get(result.section) ?? []), result]);
  let index = 0;
  for (const [section, results] of bySection) {
    index++;
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      extension: [sourceExtension(ctx)],
      identifier: [{ system: CDA_ENTRY_SYSTEM, value: `${ctx.documentKey}#lab-report-${index}` }],
      status: 'final',
      category: [{ coding: [{ system: V2_0074, code: 'LAB', display: 'Laboratory' }] }],
      code: toCodeableConcept(at(section, 'code')) ?? toCodeableConcept(at(doc, 'code')) ?? { text: 'Laboratory report' },
      subject: ctx.patient,
      result: results.map((r) => ({ reference: r.fullUrl })),
    };
    // effective[x] is the clinically relevant time (the exam, the sampling): the serviceEvent's. The document's own date
    // is when the report was written (it is `issued`), days later for a culture: it was taken for the exam's date.
    const effective = toInstantOf(at(doc, 'documentationOf/serviceEvent/effectiveTime'));
    if (effective) report.effectiveDateTime = effective;
    else ctx.warnings.push(`Lab report ${index}: no exam date (documentationOf/serviceEvent/effectiveTime); the document's date is not taken for it`);
    const issued = toDateTimeOf(at(doc, 'effectiveTime'));
    if (issued && issued.length > 10) report.issued = issued;
    const specimens = unique(results.map((r) => r.specimen).filter((s): s is Reference<Specimen> => !!s));
    if (specimens.length) report.specimen = specimens;
    ctx.builder.add(report, ctx.builder.urnFor(`lab-report:${index}`));
  }
}

function unique(references: Reference<Specimen>[]): Reference<Specimen>[] {
  const seen = new Set<string>();
  return references.filter((r) => (seen.has(r.reference ?? '') ? false : (seen.add(r.reference ?? ''), true)));
}
