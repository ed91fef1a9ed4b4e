import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { badRequest } from '../fhir/errors';
import { elementNode, HL7_V3_NS } from './xml-namespaces';
import { scanPlainXml } from './xml-plain-scan';

export { HL7_V3_NS };

/**
 * One element with its namespace resolved. `name` is the local name for CDA elements (urn:hl7-org:v3, whatever
 * prefix the sender used, e.g. `c:`) and `prefix:local` with a canonical prefix for the extension namespaces, so
 * that `sdtc:id`, `pharm:code` or `lab:statusCode` never merge with the core `id`, `code`, `statusCode`.
 */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Text and elements in document order (narrative blocks need it). */
  content: (XmlNode | string)[];
  /** Decoded bytes of a base64 payload element (`nonXMLBody/text`, `observationMedia/value`). */
  payload?: Buffer;
  /** For `originalText`/`text` holding `<reference value="#id"/>`: the narrative text that id points at. */
  narrative?: string;
}

/** Elements whose text is a (possibly huge) payload: kept raw by the parser, then decoded once. */
const PAYLOAD_PARENTS: Record<string, string> = { nonXMLBody: 'text', observationMedia: 'value' };

/** Default maximum element nesting; the deepest public example is 22 levels. */
export const DEFAULT_MAX_DEPTH = 100;

type Ordered = Record<string, unknown>;

/** Parses XML text into namespace-resolved nodes; not-well-formed XML → 400 naming line and column. */
export function parseXmlTree(text: string, maxDepth = DEFAULT_MAX_DEPTH): XmlNode {
  // Most documents are plain XML, read in one pass; any other is left to fast-xml-parser (see xml-plain-scan.ts).
  return scanPlainXml(text, maxDepth) ?? parseAnyXml(text, maxDepth);
}

/** The general path of parseXmlTree (fast-xml-parser: validator, then parser), for any document. */
export function parseAnyXml(text: string, maxDepth = DEFAULT_MAX_DEPTH): XmlNode {
  const validation = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw badRequest(`CDA document is not well-formed XML at line ${line}, column ${col}: ${msg}`);
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    removeNSPrefix: false,
    maxNestedTags: maxDepth,
    stopNodes: payloadStopNodes(text),
  });
  let ordered: Ordered[];
  try {
    ordered = parser.parse(text) as Ordered[];
  } catch (err) {
    const message = (err as Error).message;
    if (/nested/i.test(message)) throw badRequest(`CDA document nests elements deeper than ${maxDepth} levels`);
    throw badRequest(`CDA document could not be parsed: ${message}`);
  }
  const rootItem = ordered.find((item) => elementName(item) !== undefined);
  if (!rootItem) throw badRequest('CDA document has no root element');
  return toNode(rootItem, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
}

/** Stop-node paths for every prefix the document binds to the HL7 v3 namespace (usually none, or `c:`). */
function payloadStopNodes(text: string): string[] {
  const prefixes = new Set<string>(['']);
  const head = text.length > 200_000 ? text.slice(0, 200_000) : text;
  for (const m of head.matchAll(/xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']urn:hl7-org:v3["']/g)) prefixes.add(`${m[1]}:`);
  const paths: string[] = [];
  for (const p of prefixes) {
    for (const [parent, child] of Object.entries(PAYLOAD_PARENTS)) paths.push(`*.${p}${parent}.${p}${child}`);
  }
  return paths;
}

function elementName(item: Ordered): string | undefined {
  return Object.keys(item).find((k) => k !== ':@' && k !== '#text');
}

function toNode(item: Ordered, parentScope: Map<string, string>): XmlNode {
  const rawName = elementName(item) as string;
  const { node, scope } = elementNode(rawName, (item[':@'] ?? {}) as Record<string, string>, parentScope);
  for (const child of (item[rawName] ?? []) as Ordered[]) {
    if ('#text' in child) {
      node.content.push(String(child['#text']));
    } else if (elementName(child) !== undefined) {
      const childNode = toNode(child, scope);
      node.children.push(childNode);
      node.content.push(childNode);
    }
  }
  if (PAYLOAD_PARENTS[node.name] !== undefined) decodePayloads(node);
  return node;
}

/** Turns the raw text of a payload element into bytes once, so the large string can be collected. */
function decodePayloads(parent: XmlNode): void {
  const childName = PAYLOAD_PARENTS[parent.name];
  for (const child of parent.children) {
    if (child.name !== childName) continue;
    const raw = child.content.filter((c): c is string => typeof c === 'string').join('');
    if ((child.attrs.representation ?? 'TXT').toUpperCase() === 'B64') {
      child.payload = Buffer.from(raw, 'base64');
      child.content = [];
    } else if (child.children.length === 0) {
      child.content = raw.length ? [decodeXmlEntities(raw)] : [];
    }
  }
}

/** Decodes the predefined and numeric XML entities (a stop node's text is left raw by the parser). */
export function decodeXmlEntities(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e] as string;
  });
}
