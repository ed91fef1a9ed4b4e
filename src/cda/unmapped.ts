import type { Coding, Extension, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { at, templateIds, textOf } from './cda-node';
import { ADAPTER_BASE } from './code-systems';
import { toCoding } from './datatypes';
import type { XmlNode } from './xml-tree';

/**
 * Clinical content of a document that no mapper represents (issue 13 item 9: nothing silently lost). One item per
 * section and kind of statement, with how many times it occurs; the document channel lists them in the import's
 * OperationOutcome (`unmappedOutcome`) and the DocumentReference records them (`unmappedExtensions`).
 */
export interface UnmappedContent {
  /** The section holding the statements (its own code, not the top-level section's). */
  section: { code?: Coding; title?: string; templateIds: string[] };
  /** CDA element of the statement (`observation`, `act`, `procedure`, `encounter`, `supply` …). */
  statement: string;
  /** The statement's templateIds: which kind of entry was not represented. */
  entryTemplateIds: string[];
  /** How many such statements the section carries. */
  count: number;
  /** Body paths of the occurrences (`s3.s1.e2`), to find them in the original document. */
  paths: string[];
}

/** Collects unmapped statements, grouping them by section and statement kind. */
export class UnmappedCollector {
  private readonly items = new Map<string, UnmappedContent>();
  private readonly sectionKeys = new Map<XmlNode, string>();

  /** Records one statement of `section` that nothing represented. */
  add(section: XmlNode, statement: XmlNode, path: string): void {
    const ids = [...new Set(templateIds(statement))];
    const key = `${this.sectionKey(section)}\u0000${statement.name}\u0000${ids.join(' ')}`;
    const existing = this.items.get(key);
    if (existing) {
      existing.count++;
      existing.paths.push(path);
      return;
    }
    const code = toCoding(at(section, 'code'));
    const title = textOf(at(section, 'title'));
    this.items.set(key, {
      section: { ...(code ? { code } : {}), ...(title ? { title } : {}), templateIds: [...new Set(templateIds(section))] },
      statement: statement.name,
      entryTemplateIds: ids,
      count: 1,
      paths: [path],
    });
  }

  /** The items in document order. */
  list(): UnmappedContent[] {
    return [...this.items.values()];
  }

  private sectionKey(section: XmlNode): string {
    let key = this.sectionKeys.get(section);
    if (!key) {
      key = `${this.sectionKeys.size}`;
      this.sectionKeys.set(section, key);
    }
    return key;
  }
}

/** One line naming an unmapped item (no health data: codes, titles and template ids only). */
export function describeUnmapped(item: UnmappedContent): string {
  const code = item.section.code?.code ?? 'no code';
  const templates = item.entryTemplateIds.length ? item.entryTemplateIds.join(', ') : 'no templateId';
  return `Section ${code} "${item.section.title ?? ''}": ${item.count} ${item.statement} entr${item.count > 1 ? 'ies' : 'y'} (templateId ${templates}) not represented; kept only in the original document`;
}

/**
 * The import's OperationOutcome: one `warning` issue (`not-supported`) per unmapped item, coded with the section
 * code, then one `informational` issue per other mapping warning (absences stated, narrative contradicting a code …).
 * For the document channel's answer (`$import`, ITI-65, ITI-105).
 */
export function unmappedOutcome(unmapped: UnmappedContent[], warnings: string[] = []): OperationOutcome {
  const issues: OperationOutcomeIssue[] = unmapped.map((item) => ({
    severity: 'warning',
    code: 'not-supported',
    details: { ...(item.section.code ? { coding: [item.section.code] } : {}), text: describeUnmapped(item) },
    diagnostics: `paths: ${item.paths.join(' ')}`,
  }));
  for (const warning of warnings) issues.push({ severity: 'information', code: 'informational', diagnostics: warning });
  if (!issues.length) issues.push({ severity: 'information', code: 'informational', diagnostics: 'Every entry of the document was mapped' });
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** Extension recording, on the DocumentReference, content of the document that was not extracted. */
export const UNMAPPED_CONTENT_EXTENSION = `${ADAPTER_BASE}/StructureDefinition/cda-unmapped-content`;

/** The DocumentReference's record of unmapped content: one complex extension per item. */
export function unmappedExtensions(unmapped: UnmappedContent[]): Extension[] {
  return unmapped.map((item) => ({
    url: UNMAPPED_CONTENT_EXTENSION,
    extension: [
      ...(item.section.code ? [{ url: 'section', valueCoding: item.section.code }] : []),
      ...(item.section.title ? [{ url: 'sectionTitle', valueString: item.section.title }] : []),
      { url: 'statement', valueCode: item.statement },
      ...item.entryTemplateIds.map((id) => ({ url: 'templateId', valueString: id })),
      { url: 'count', valueInteger: item.count },
    ],
  }));
}
