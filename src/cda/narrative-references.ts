import { attr, child, textOf } from './cda-node';
import type { XmlNode } from './xml-tree';

/**
 * Resolves the narrative text an entry points at (`originalText/reference value="#id"`, `text/reference`) into the
 * pointing element's `narrative`, kept apart from its own text: the narrative is what the author wrote in the
 * section, not the code's text, and may say something else than the code (see mappers/narrative-notes.ts).
 * IDs are unique within a CDA document; one pass indexes them, one pass resolves. Returns the IDs referenced that the
 * document writes more than once: those references are not resolved.
 */
export function inlineNarrativeReferences(doc: XmlNode): string[] {
  const byId = new Map<string, XmlNode>();
  const duplicated = new Set<string>();
  const pointers: XmlNode[] = [];
  const visit = (node: XmlNode): void => {
    const id = node.attrs.ID;
    if (id && byId.has(id)) duplicated.add(id);
    else if (id) byId.set(id, node);
    if ((node.name === 'originalText' || node.name === 'text') && child(node, 'reference')) pointers.push(node);
    node.children.forEach(visit);
  };
  visit(doc);
  const ambiguous = new Set<string>();
  for (const pointer of pointers) {
    const target = attr(child(pointer, 'reference'), 'value');
    const id = target?.startsWith('#') ? target.slice(1) : undefined;
    // An ID written twice names two texts: the first one's narrative (a problem's « Diabète ») was given to whatever
    // pointed at the second (« Antécédent familial de diabète »). Neither is taken.
    if (id !== undefined && duplicated.has(id)) {
      ambiguous.add(id);
      continue;
    }
    const referenced = id !== undefined ? byId.get(id) : undefined;
    const text = referenced ? flatText(referenced) : '';
    if (text) pointer.narrative = text;
  }
  return [...ambiguous];
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
