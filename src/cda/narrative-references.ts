import { attr, child } from './cda-node';
import type { XmlNode } from './xml-tree';

/**
 * Copies the narrative text an entry points at (`originalText/reference value="#id"`, `text/reference`) into the
 * pointing element, so a coded value without code (French lab results often are) still carries its text.
 * IDs are unique within a CDA document; one pass indexes them, one pass inlines.
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
    if (text) pointer.content.push(text);
  }
}

function flatText(node: XmlNode): string {
  return node.content
    .map((c) => (typeof c === 'string' ? c : ` ${flatText(c)} `))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}
