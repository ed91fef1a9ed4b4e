import { createHash } from 'node:crypto';
import { unprocessable } from '../fhir/errors';
import { decodeXmlBytes, DEFAULT_MAX_BYTES, DEFAULT_MAX_MARKUP } from './xml-safety';
import { DEFAULT_MAX_DEPTH, parseXmlTree, type XmlNode } from './xml-tree';

/** Limits applied while reading a CDA document. */
export interface CdaParseOptions {
  /** Maximum size of the received bytes (default 20 MB); larger → 413. */
  maxBytes?: number;
  /** Maximum element nesting (default 100); deeper → 400. */
  maxDepth?: number;
  /** Maximum tags and attributes, counted as `<` and `=` characters (default 250,000); more → 413. */
  maxMarkup?: number;
}

/** A parsed CDA R2 document and facts about the bytes it came from. */
export interface CdaDocument {
  /** The `ClinicalDocument` element (inside the XSL wrapper for self-presenting documents). */
  root: XmlNode;
  /** The received bytes, untouched (BOM, CRLF and XSL wrapper included). */
  bytes: Buffer;
  /** Base64 SHA-1 of the received bytes (the MHD `attachment.hash` form). */
  sha1: string;
  size: number;
  /** True when the CDA was found inside an XSL stylesheet wrapper. */
  wrapped: boolean;
}

/** Safely parses a CDA R2 document: 413 too large, 400 unsafe or not well-formed, 422 not a CDA. */
export function parseCda(bytes: Buffer, options: CdaParseOptions = {}): CdaDocument {
  const text = decodeXmlBytes(bytes, options.maxBytes ?? DEFAULT_MAX_BYTES, options.maxMarkup ?? DEFAULT_MAX_MARKUP);
  const top = parseXmlTree(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  const root = findClinicalDocument(top);
  return {
    root,
    bytes,
    sha1: createHash('sha1').update(bytes).digest('base64'),
    size: bytes.length,
    wrapped: root !== top,
  };
}

function findClinicalDocument(top: XmlNode): XmlNode {
  if (top.name === 'ClinicalDocument') return top;
  // Self-presenting documents (ANS "auto-présentable") put the CDA inside an XSL stylesheet.
  if (top.name === 'xsl:stylesheet' || top.name === 'xsl:transform') {
    const inner = findWrapped(top);
    if (inner) return inner;
  }
  const local = top.name.replace(/^\{[^}]*\}|^[^:]*:/, '');
  if (local === 'ClinicalDocument') {
    throw unprocessable('Root element ClinicalDocument is not in the CDA namespace urn:hl7-org:v3');
  }
  throw unprocessable(`Not a CDA document: root element is ${top.name}, expected ClinicalDocument in urn:hl7-org:v3`);
}

/**
 * The ClinicalDocument element of XML bytes (inside an XSL wrapper too, or in another namespace: what a reader would
 * take for a CDA document), or undefined when their root is something else. 413/400 as `parseCda`.
 */
export function clinicalDocumentOf(bytes: Buffer, options: CdaParseOptions = {}): XmlNode | undefined {
  const top = parseXmlTree(decodeXmlBytes(bytes, options.maxBytes ?? DEFAULT_MAX_BYTES, options.maxMarkup ?? DEFAULT_MAX_MARKUP), options.maxDepth ?? DEFAULT_MAX_DEPTH);
  if (top.name.replace(/^\{[^}]*\}|^[^:]*:/, '') === 'ClinicalDocument') return top;
  return top.name === 'xsl:stylesheet' || top.name === 'xsl:transform' ? findWrapped(top) : undefined;
}

function findWrapped(node: XmlNode): XmlNode | undefined {
  for (const c of node.children) {
    if (c.name === 'ClinicalDocument') return c;
    // The wrapper keeps the document in a data element, never inside an XSL instruction.
    if (!c.name.startsWith('xsl:')) {
      const found = findWrapped(c);
      if (found) return found;
    }
  }
  return undefined;
}
