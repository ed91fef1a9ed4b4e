import { badRequest, payloadTooLarge } from '../fhir/errors';

/** Default upper bound on a received CDA document (DESIGN: configurable, 20 MB → 413). */
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/**
 * Default upper bound on the markup of a received CDA document: its `<` and `=` characters, i.e. every tag (start, end,
 * comment) and every attribute, with the odd `=` of text counted too. The parsed tree costs ~270 bytes of memory per
 * element whatever the document's size in bytes: 14 MB of `<br/>` (2.9 million elements) took a parsing thread to
 * 864 MB and the server to 1.18 GB. The largest public French example (IPS-FR, 1.5 MB) has 9,171; a lab report of 4,000
 * results 92,000; a document of this many parses within ~70 MB. The server's limit is `CDA_MARKUP_LIMIT` (src/config.ts),
 * this by default.
 */
export const DEFAULT_MAX_MARKUP = 250_000;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Checks the raw bytes before any parsing and decodes them to text.
 * Refuses what the parser must never see: oversize input (413), more tags and attributes than `maxMarkup` (413: the tree
 * would cost more memory than a document should), UTF-16/32 (400), any DOCTYPE (400: no DTD, hence no external entity and
 * no entity expansion, whatever the parser's own limits are).
 */
export function decodeXmlBytes(bytes: Buffer, maxBytes = DEFAULT_MAX_BYTES, maxMarkup = DEFAULT_MAX_MARKUP): string {
  if (bytes.length > maxBytes) {
    throw payloadTooLarge(`CDA document is ${bytes.length} bytes; the limit is ${maxBytes} bytes`);
  }
  if (bytes.length === 0) throw badRequest('CDA document is empty');
  assertMarkupWithin(bytes, maxMarkup);
  assertNotWideEncoding(bytes);
  const start = hasUtf8Bom(bytes) ? UTF8_BOM.length : 0;
  const encoding = declaredEncoding(bytes.subarray(start, start + 200).toString('latin1'));
  let text: string;
  if (!encoding || encoding === 'utf-8' || encoding === 'utf8') {
    text = bytes.toString('utf8', start);
  } else if (encoding === 'iso-8859-1' || encoding === 'latin1' || encoding === 'iso-8859-15' || encoding === 'windows-1252') {
    text = new TextDecoder(encoding).decode(bytes.subarray(start));
  } else {
    throw badRequest(`Unsupported XML encoding "${encoding}": send UTF-8`);
  }
  assertNoDoctype(text);
  return text;
}

/**
 * 413 when the bytes hold more than `maxMarkup` `<` and `=` characters. Counted on the bytes, before any text is decoded
 * or any node built (a native search per character found, stopped at the limit: ~10 ms for 14 MB of tags); `<` and `=`
 * are ASCII, never part of a multi-byte UTF-8 character, and a Latin-1 document writes them the same way.
 */
function assertMarkupWithin(bytes: Buffer, maxMarkup: number): void {
  let count = 0;
  for (const c of [0x3c, 0x3d]) {
    for (let i = bytes.indexOf(c); i !== -1; i = bytes.indexOf(c, i + 1)) {
      if (++count > maxMarkup) {
        throw payloadTooLarge(`CDA document has more than ${maxMarkup} tags and attributes (its '<' and '=' characters): the limit of this server`);
      }
    }
  }
}

/** True when the bytes start with a UTF-8 byte order mark. */
export function hasUtf8Bom(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}

function assertNotWideEncoding(bytes: Buffer): void {
  const b0 = bytes[0];
  const b1 = bytes.length > 1 ? bytes[1] : -1;
  const bomUtf16 = (b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe);
  // Without a BOM, UTF-16/32 text starting with '<' has a NUL next to it.
  const nulNearStart = bytes.subarray(0, 4).includes(0);
  if (bomUtf16 || nulNearStart) {
    throw badRequest('CDA document is not UTF-8 (UTF-16/UTF-32 is not accepted): send UTF-8');
  }
}

function declaredEncoding(head: string): string | undefined {
  const decl = /^\s*<\?xml[^?]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  return decl ? decl[1].toLowerCase() : undefined;
}

function assertNoDoctype(text: string): void {
  // A DOCTYPE can only appear in the prolog, but an ENTITY declaration anywhere is just as unwelcome.
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    const index = text.search(/<!(DOCTYPE|ENTITY)/i);
    const { line, column } = positionOf(text, index);
    throw badRequest(`DOCTYPE and ENTITY declarations are not accepted in a CDA document (line ${line}, column ${column})`);
  }
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lastBreak = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lastBreak = i;
  }
  return { line, column: index - lastBreak };
}
