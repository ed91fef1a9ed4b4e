import type { XmlNode } from './xml-tree';

/** The HL7 v3 namespace every CDA element lives in. */
export const HL7_V3_NS = 'urn:hl7-org:v3';

const CANONICAL_PREFIXES: Record<string, string> = {
  [HL7_V3_NS]: '',
  'urn:hl7-org:sdtc': 'sdtc',
  'urn:ihe:pharm:medication': 'pharm',
  'urn:ihe:pharm': 'pharm',
  'urn:oid:1.3.6.1.4.1.19376.1.3.2': 'lab',
  'urn:dicom-org:ps3-20': 'ps3-20',
  'http://www.w3.org/2001/XMLSchema-instance': 'xsi',
  'http://www.w3.org/1999/XSL/Transform': 'xsl',
};

/**
 * An element as the raw XML names it (`c:code`, `xsi:type="c:PQ"`) turned into an `XmlNode` with canonical names,
 * and the namespace scope its children see. Both XML readers (xml-tree.ts, xml-plain-scan.ts) build nodes here.
 */
export function elementNode(rawName: string, rawAttrs: Record<string, string>, parentScope: Map<string, string>): { node: XmlNode; scope: Map<string, string> } {
  const scope = declareNamespaces(rawAttrs, parentScope);
  const name = canonicalName(rawName, scope, true);
  const attrs: Record<string, string> = {};
  for (const [key, value] of Object.entries(rawAttrs)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
    const attrName = key.includes(':') ? canonicalName(key, scope, false) : key;
    attrs[attrName] = attrName === 'xsi:type' ? canonicalName(String(value), scope, true) : String(value);
  }
  return { node: { name, attrs, children: [], content: [] }, scope };
}

function declareNamespaces(attrs: Record<string, string>, parent: Map<string, string>): Map<string, string> {
  let scope = parent;
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) {
      if (scope === parent) scope = new Map(parent);
      scope.set(key === 'xmlns' ? '' : key.slice(6), String(value));
    }
  }
  return scope;
}

function canonicalName(qname: string, scope: Map<string, string>, useDefault: boolean): string {
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? '' : qname.slice(0, colon);
  const local = colon === -1 ? qname : qname.slice(colon + 1);
  const uri = prefix || useDefault ? scope.get(prefix) : undefined;
  // An element in no namespace must not pass for a CDA element of the same local name.
  if (uri === undefined) return useDefault && !prefix ? `{}${local}` : qname;
  const canonical = CANONICAL_PREFIXES[uri];
  if (canonical === undefined) return prefix ? `${prefix}:${local}` : `{${uri}}${local}`;
  return canonical ? `${canonical}:${local}` : local;
}


