import { badRequest, payloadTooLarge } from '../fhir/errors';

/** Default upper bound on a received CDA document (DESIGN: configurable, 20 MB → 413). */
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Checks the raw bytes before any parsing and decodes them to text.
 * Refuses what the parser must never see: oversize input (413), UTF-16/32 (400), any DOCTYPE (400: no DTD,
 * hence no external entity and no entity expansion, whatever the parser's own limits are).
 */
export function decodeXmlBytes(bytes: Buffer, maxBytes = DEFAULT_MAX_BYTES): string {
  if (bytes.length > maxBytes) {
    throw payloadTooLarge(`CDA document is ${bytes.length} bytes; the limit is ${maxBytes} bytes`);
  }
  if (bytes.length === 0) throw badRequest('CDA document is empty');
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
