import { decodeXmlBytes } from '../../../src/cda/xml-safety';
import { parseAnyXml, type XmlNode } from '../../../src/cda/xml-tree';
import { scanPlainXml } from '../../../src/cda/xml-plain-scan';

/** What the one-pass reader must never do: accept a text the general parser refuses, or read it otherwise. */
export function disagreement(text: string, maxDepth = 100): string | undefined {
  const plain = scanPlainXml(text, maxDepth);
  if (!plain) return undefined;
  let general: XmlNode;
  try {
    general = parseAnyXml(text, maxDepth);
  } catch (err) {
    return `the plain reader accepted what the general parser refuses: ${(err as Error).message}`;
  }
  return JSON.stringify(plain) === JSON.stringify(general) ? undefined : 'the two readers built different trees';
}

/** The document's text as parseCda hands it to the XML reader (BOM removed, encoding decoded). */
export const xmlText = (bytes: Buffer): string => decodeXmlBytes(bytes);

/** Small alterations of a text, spread over it (deterministic): each must be refused or read alike by both readers. */
export function alterations(text: string, count: number): string[] {
  const pieces = ['&amp;', '&#233;', '&lt;', '&unknown;', '<![CDATA[x<y]]>', '<?pi x?>', '<?pi a="1"?>', '<?xml-stylesheet href="a"?>', '<?pi __proto__="1"?>', '<?pi a="<"?>', '<!-- c -->', '<!-- a -- b -->', ' a="1"', ' a = "1"', " b='2'", ' c', '>', '<', '</x>', '<x>', '<x/>', '\r\n', '\r', '\t', 'é', '"', "'", '/', '=', '<!DOCTYPE x>', '<?xml version="1.0"?>', ' xmlns="urn:x"', ' xmlns:q="urn:hl7-org:v3"', ' __proto__="1"', '<toString/>', '<a:b:c/>', '\u0000', '\ufeff'];
  const out: string[] = [];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let k = 0; k < count; k++) {
    const at = next(text.length + 1);
    const kind = next(3);
    if (kind === 0) out.push(text.slice(0, at) + pieces[next(pieces.length)] + text.slice(at));
    else if (kind === 1) out.push(text.slice(0, at) + text.slice(at + 1 + next(3)));
    else out.push(text.slice(0, at) + text.slice(at, at + 1 + next(40)) + text.slice(at));
  }
  return out;
}
