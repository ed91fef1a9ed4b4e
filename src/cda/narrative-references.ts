import { attr, child, textOf } from './cda-node';
import type { XmlNode } from './xml-tree';

/**
 * Resolves the narrative text an entry points at (`originalText/reference value="#id"`, `text/reference`) into the
 * pointing element's `narrative`, kept apart from its own text: the narrative is what the author wrote in the
 * section, not the code's text, and may say something else than the code (see mappers/narrative-notes.ts).
 * IDs are unique within a CDA document; one pass indexes them, one pass resolves.
 */
export function inlineNarrativeReferences(doc: XmlNode): void {
  const byId = new Map<string, XmlNode>();
  const pointers: XmlNode[] = [];
  const visit = (node: XmlNode): void => {
    const id = node.attrs.ID;
    if (id) byId.set(id, node);
    if ((node.name === 'originalText' || node.name === 'text') && child(node, 'reference')) pointers.push(node);
    node.children.forEach(visit);
  };
  visit(doc);
  for (const pointer of pointers) {
    const target = attr(child(pointer, 'reference'), 'value');
    const referenced = target?.startsWith('#') ? byId.get(target.slice(1)) : undefined;
    const text = referenced ? flatText(referenced) : '';
    if (text) pointer.narrative = text;
  }
}

function flatText(node: XmlNode): string {
  return node.content
    .map((c) => (typeof c === 'string' ? c : ` ${flatText(c)} `))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The text of an element, else the narrative its `reference` points at (statement `text`, range `text`). */
export function narrativeOf(node: XmlNode | undefined): string | undefined {
  return textOf(node) ?? node?.narrative;
}
