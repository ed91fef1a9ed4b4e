import { child, childrenNamed, textOf } from '../cda/cda-node';
import { decodeXmlBytes } from '../cda/xml-safety';
import { parseXmlTree, type XmlNode } from '../cda/xml-tree';
import { escapeHtml, trusted, type Html } from './html';

/**
 * CDA narrative (StrucDocText) elements and the HTML element each becomes. Anything else — scripts, styles,
 * links, images, multimedia, unknown elements — is dropped with its markup (its text stays when it is readable
 * text), and no attribute is copied except table spans: the page fetches nothing and runs nothing from a document.
 */
const ELEMENTS: Record<string, string> = {
  paragraph: 'p',
  content: 'span',
  sub: 'sub',
  sup: 'sup',
  br: 'br',
  list: 'ul',
  item: 'li',
  table: 'table',
  caption: 'caption',
  thead: 'thead',
  tbody: 'tbody',
  tfoot: 'tfoot',
  tr: 'tr',
  th: 'th',
  td: 'td',
  footnote: 'small',
};

/** Elements whose whole content is dropped: nothing in them is meant to be read as text. */
const DROPPED = new Set(['renderMultiMedia', 'footnoteRef', 'col', 'colgroup']);

/** The CDA styleCodes that carry meaning a reader needs (emphasis), mapped to safe tags. */
const STYLES: Record<string, string> = { Bold: 'strong', Italics: 'em', Emphasis: 'em', Underline: 'u' };

function spanAttrs(node: XmlNode): string {
  return ['colspan', 'rowspan']
    .filter((a) => /^\d{1,3}$/.test(node.attrs[a] ?? ''))
    .map((a) => ` ${a}="${node.attrs[a]}"`)
    .join('');
}

function renderNode(node: XmlNode): string {
  // Elements of another namespace (`{uri}name`, e.g. XHTML script or style smuggled into the narrative) go whole.
  if (DROPPED.has(node.name) || node.name.startsWith('{') || node.name.includes(':')) return '';
  const inner = node.content.map((c) => (typeof c === 'string' ? escapeHtml(c) : renderNode(c))).join('');
  if (node.name === 'linkHtml') return inner; // the link's text, never its target
  let tag = ELEMENTS[node.name];
  if (!tag) return inner;
  if (tag === 'br') return '<br>';
  if (tag === 'ul' && node.attrs.listType === 'ordered') tag = 'ol';
  const style = (node.attrs.styleCode ?? '').split(/\s+/).map((s) => STYLES[s]).find(Boolean);
  const body = style && tag === 'span' ? `<${style}>${inner}</${style}>` : inner;
  return `<${tag}${tag === 'td' || tag === 'th' ? spanAttrs(node) : ''}>${body}</${tag}>`;
}

/** One section of a document as a reader sees it: its title and its narrative as safe HTML. */
export interface NarrativeSection {
  title: string;
  html: Html;
  sections: NarrativeSection[];
}

function section(node: XmlNode): NarrativeSection {
  const text = child(node, 'text');
  return {
    title: textOf(child(node, 'title'))?.trim() || 'Section',
    html: trusted(text ? text.content.map((c) => (typeof c === 'string' ? escapeHtml(c) : renderNode(c))).join('') : ''),
    sections: childrenNamed(node, 'component').flatMap((c) => childrenNamed(c, 'section').map(section)),
  };
}

/**
 * The readable content of a CDA document: its title and the narrative of each section (structured body), or
 * nothing when the body is not XML (a PDF in nonXMLBody is shown as itself). Parsed with the import's hardened
 * parser (no DTD, no external entities, bounded depth and size).
 */
export function readCdaNarrative(bytes: Buffer): { title?: string; sections: NarrativeSection[]; embedded?: { mediaType: string; data: Buffer } } {
  const root = parseXmlTree(decodeXmlBytes(bytes));
  const doc = root.name === 'ClinicalDocument' ? root : child(root, 'ClinicalDocument');
  const body = child(child(doc, 'component'), 'structuredBody');
  const nonXml = child(child(doc, 'component'), 'nonXMLBody');
  const payload = child(nonXml, 'text');
  return {
    title: textOf(child(doc, 'title'))?.trim(),
    sections: childrenNamed(body, 'component').flatMap((c) => childrenNamed(c, 'section').map(section)),
    embedded: payload?.payload ? { mediaType: payload.attrs.mediaType ?? 'application/octet-stream', data: payload.payload } : undefined,
  };
}
