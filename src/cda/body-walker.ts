import { all, at, attr, childrenNamed, templateIds, textOf } from './cda-node';
import type { MappingContext } from './mapping-context';
import { findMapper } from './mappers/registry';
import type { XmlNode } from './xml-tree';

const CLINICAL_STATEMENTS = new Set([
  'observation', 'act', 'organizer', 'substanceAdministration', 'supply', 'procedure', 'encounter', 'observationMedia', 'regionOfInterest',
]);

/**
 * Walks structuredBody sections recursively and hands each entry's clinical statement to the first mapper
 * whose templateIds match. A statement no mapper knows (a concern act, an XD-LAB wrapper act) is opened and its
 * entryRelationship/component statements are tried in turn. Unknown sections only raise a warning.
 */
export function walkBody(doc: XmlNode, ctx: MappingContext): void {
  all(doc, 'component/structuredBody/component/section').forEach((section, i) => walkSection(section, section, `s${i + 1}`, ctx));
}

function walkSection(section: XmlNode, topSection: XmlNode, path: string, ctx: MappingContext): void {
  const before = ctx.builder.size;
  const entries = childrenNamed(section, 'entry');
  entries.forEach((entry, j) => {
    entry.children
      .filter((c) => CLINICAL_STATEMENTS.has(c.name))
      .forEach((statement) => dispatch(statement, { topSection, section, path: `${path}.e${j + 1}` }, ctx));
  });
  all(section, 'component/section').forEach((sub, k) => walkSection(sub, topSection, `${path}.s${k + 1}`, ctx));
  const after = ctx.builder.size;
  if (entries.length && after === before) {
    const code = attr(at(section, 'code'), 'code') ?? 'no code';
    ctx.warnings.push(`Section ${code} "${textOf(at(section, 'title')) ?? ''}" has no mapped entries; kept only in the original document`);
  }
}

function dispatch(statement: XmlNode, location: { topSection: XmlNode; section: XmlNode; path: string }, ctx: MappingContext): void {
  const mapper = findMapper(templateIds(statement), statement);
  if (mapper) {
    mapper.map(statement, location, ctx);
    return;
  }
  let k = 0;
  for (const relation of [...childrenNamed(statement, 'entryRelationship'), ...childrenNamed(statement, 'component')]) {
    for (const inner of relation.children.filter((c) => CLINICAL_STATEMENTS.has(c.name))) {
      k++;
      dispatch(inner, { ...location, path: `${location.path}.r${k}` }, ctx);
    }
  }
}
