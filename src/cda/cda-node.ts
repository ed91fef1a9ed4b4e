import type { XmlNode } from './xml-tree';

/** First child element with that (canonical) name. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

/** Every child element with that name. */
export function childrenNamed(node: XmlNode | undefined, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

/** First element reached through a slash-separated path of child names (`assignedAuthor/assignedPerson/name`). */
export function at(node: XmlNode | undefined, path: string): XmlNode | undefined {
  let current = node;
  for (const step of path.split('/')) {
    current = child(current, step);
    if (!current) return undefined;
  }
  return current;
}

/** Every element reached through a path, fanning out at each step. */
export function all(node: XmlNode | undefined, path: string): XmlNode[] {
  let current: XmlNode[] = node ? [node] : [];
  for (const step of path.split('/')) current = current.flatMap((n) => childrenNamed(n, step));
  return current;
}

/** An attribute value, or undefined when absent or blank. */
export function attr(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.attrs[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Text of the element and its descendants in document order, whitespace collapsed. */
export function textOf(node: XmlNode | undefined): string | undefined {
  if (!node) return undefined;
  const parts: string[] = [];
  collectText(node, parts);
  const text = parts.join('').replace(/\s+/g, ' ').trim();
  return text || undefined;
}

const BLOCK_ELEMENTS = new Set(['paragraph', 'br', 'tr', 'item', 'list', 'table', 'content', 'td', 'th']);

function collectText(node: XmlNode, parts: string[]): void {
  for (const c of node.content) {
    if (typeof c === 'string') parts.push(c);
    else {
      collectText(c, parts);
      if (BLOCK_ELEMENTS.has(c.name)) parts.push(' ');
    }
  }
}

/** The templateId roots of a CDA element. */
export function templateIds(node: XmlNode | undefined): string[] {
  return childrenNamed(node, 'templateId')
    .map((t) => attr(t, 'root'))
    .filter((r): r is string => r !== undefined);
}

/** True when the element carries a nullFlavor (and so no usable value). */
export function isNull(node: XmlNode | undefined): boolean {
  return !node || attr(node, 'nullFlavor') !== undefined;
}

/** Depth-first search for the first descendant element with that name. */
export function findDescendant(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (!node) return undefined;
  for (const c of node.children) {
    if (c.name === name) return c;
    const found = findDescendant(c, name);
    if (found) return found;
  }
  return undefined;
}
