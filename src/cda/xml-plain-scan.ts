import { elementNode } from './xml-namespaces';
import type { XmlNode } from './xml-tree';

/**
 * A one-pass reader for the plain XML most CDA documents are written in: elements, quoted attributes, text and
 * comments, no entity or character reference, no CDATA, no processing instruction past the declaration, no payload
 * element. It gives the very tree `parseXmlTree` builds with fast-xml-parser (validator pass, parser pass, tree pass:
 * about half of the parsing worker's time on a 50 KB lab report), and gives up (undefined) on anything else, so that
 * the general path decides: acceptance, error messages and trees of every other document stay that path's.
 *
 * It is deliberately stricter than XML: whatever it accepts, fast-xml-parser's validator accepts too and its parser
 * reads the same way (`test/unit/cda/xml-plain-scan.test.ts` compares both on every example and on altered copies).
 */
export function scanPlainXml(source: string, maxDepth: number): XmlNode | undefined {
  // Payload elements (base64 PDFs, images) are stop nodes of the general parser: left to it.
  if (source.includes('nonXMLBody') || source.includes('observationMedia')) return undefined;
  // The general parser reads line ends as XML does (CRLF and CR → LF) before anything else.
  const text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  const scanner = new PlainScanner(text, maxDepth);
  try {
    return scanner.document();
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}

const GIVE_UP = Symbol('not plain XML');

/** Names that become object keys in fast-xml-parser's output and that it treats specially: left to it. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/** ASCII XML names with at most one prefix: a subset of what the validator's `isName` accepts. */
const NAME = /^[A-Za-z_][A-Za-z0-9._-]*(?::[A-Za-z_][A-Za-z0-9._-]*)?$/;

/** What may follow a processing instruction's target: double-quoted pseudo-attributes, plain values. */
const INSTRUCTION_REST = /^(?:[ \t\n]+[A-Za-z_][A-Za-z0-9._-]*="[^"<>&?]*")*[ \t\n]*$/;

const LT = 60;
const GT = 62;
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const AMP = 38;
const EQUALS = 61;
const QUOTE = 34;
const APOSTROPHE = 39;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10;
}

interface Open {
  rawName: string;
  node: XmlNode;
  scope: Map<string, string>;
}

class PlainScanner {
  private i = 0;
  private readonly stack: Open[] = [];
  /** Text since the last tag; comments do not cut it (as in the general parser). */
  private pending = '';

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  document(): XmlNode {
    const { text } = this;
    if (text.startsWith('<?xml')) this.skipDeclaration();
    this.skipMisc();
    if (text.charCodeAt(this.i) !== LT) throw GIVE_UP;
    const root = this.openTag(new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
    if (root) this.content();
    this.skipMisc();
    if (this.i !== text.length || this.stack.length) throw GIVE_UP;
    return root ?? this.lastClosed!;
  }

  private lastClosed: XmlNode | undefined;

  /** `<?xml … ?>` at the very start. */
  private skipDeclaration(): void {
    const end = this.text.indexOf('?>', 5);
    if (end < 0) throw GIVE_UP;
    const body = this.text.slice(5, end);
    if (!/^\s/.test(body) || body.includes('<') || body.includes('?')) throw GIVE_UP;
    this.i = end + 2;
  }

  /** Whitespace, comments and processing instructions (outside the root element: `<?xml-stylesheet …?>`). */
  private skipMisc(): void {
    const { text } = this;
    for (;;) {
      while (this.i < text.length && isSpace(text.charCodeAt(this.i))) this.i++;
      if (text.startsWith('<!--', this.i)) this.skipComment();
      else if (text.startsWith('<?', this.i)) this.skipInstruction();
      else return;
    }
  }

  /**
   * A processing instruction with pseudo-attributes only (`<?oxygen SCHSchema="…"?>`): the general parser reads their
   * names like attribute names, and refuses some (`__proto__`), so anything else is left to it.
   */
  private skipInstruction(): void {
    const end = this.text.indexOf('?>', this.i + 2);
    if (end < 0) throw GIVE_UP;
    const body = this.text.slice(this.i + 2, end);
    const target = /^[A-Za-z_][A-Za-z0-9._-]*/.exec(body)?.[0];
    if (!target || target.toLowerCase() === 'xml' || !INSTRUCTION_REST.test(body.slice(target.length))) throw GIVE_UP;
    for (const m of body.matchAll(/([A-Za-z_][A-Za-z0-9._-]*)="/g)) assertName(m[1]);
    this.i = end + 2;
  }

  private skipComment(): void {
    const end = this.text.indexOf('-->', this.i + 4);
    if (end < 0 || this.text.slice(this.i + 4, end).includes('--')) throw GIVE_UP;
    this.i = end + 3;
  }

  /** Reads a start tag at `i`; returns the element when it stays open (the scan goes on inside), else undefined. */
  private openTag(parentScope: Map<string, string>): XmlNode | undefined {
    const { text } = this;
    let j = this.i + 1;
    while (j < text.length && !isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== GT && text.charCodeAt(j) !== SLASH) j++;
    const rawName = text.slice(this.i + 1, j);
    assertName(rawName);
    const rawAttrs: Record<string, string> = {};
    for (;;) {
      const c = text.charCodeAt(j);
      if (c === GT || (c === SLASH && text.charCodeAt(j + 1) === GT)) break;
      if (!isSpace(c)) throw GIVE_UP; // each attribute after whitespace
      while (isSpace(text.charCodeAt(j))) j++;
      const d = text.charCodeAt(j);
      if (d === GT || (d === SLASH && text.charCodeAt(j + 1) === GT)) break;
      const nameStart = j;
      while (j < text.length && text.charCodeAt(j) !== EQUALS && !isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== GT) j++;
      const name = text.slice(nameStart, j);
      assertName(name);
      if (text.charCodeAt(j) !== EQUALS) throw GIVE_UP;
      const quote = text.charCodeAt(j + 1);
      if (quote !== QUOTE && quote !== APOSTROPHE) throw GIVE_UP;
      const end = text.indexOf(quote === QUOTE ? '"' : "'", j + 2);
      if (end < 0) throw GIVE_UP;
      const value = text.slice(j + 2, end);
      if (!plainValue(value) || Object.prototype.hasOwnProperty.call(rawAttrs, name)) throw GIVE_UP;
      rawAttrs[name] = value;
      j = end + 1;
    }
    if (this.stack.length >= this.maxDepth - 1) throw GIVE_UP; // the general parser words the depth refusal
    const { node, scope } = elementNode(rawName, rawAttrs, parentScope);
    const parent = this.stack[this.stack.length - 1];
    if (parent) {
      this.flushText(parent.node);
      parent.node.children.push(node);
      parent.node.content.push(node);
    }
    this.pending = '';
    if (text.charCodeAt(j) === SLASH) {
      this.i = j + 2;
      this.lastClosed = node;
      return undefined;
    }
    this.i = j + 1;
    this.stack.push({ rawName, node, scope });
    return node;
  }

  /** Everything inside the open elements, up to the end of the root. */
  private content(): void {
    const { text } = this;
    while (this.stack.length) {
      const lt = text.indexOf('<', this.i);
      if (lt < 0) throw GIVE_UP;
      if (lt > this.i) {
        const run = text.slice(this.i, lt);
        if (!plainText(run)) throw GIVE_UP;
        this.pending += run;
      }
      this.i = lt;
      const c = text.charCodeAt(lt + 1);
      if (c === SLASH) this.closeTag();
      else if (c === BANG) {
        if (!text.startsWith('<!--', lt)) throw GIVE_UP; // CDATA, declarations
        this.skipComment();
      } else if (c === QUESTION) throw GIVE_UP;
      else this.openTag(this.stack[this.stack.length - 1].scope);
    }
  }

  private closeTag(): void {
    const open = this.stack.pop() as Open;
    const expected = `</${open.rawName}>`;
    if (!this.text.startsWith(expected, this.i)) throw GIVE_UP;
    this.flushText(open.node);
    this.pending = '';
    this.i += expected.length;
    this.lastClosed = open.node;
  }

  private flushText(node: XmlNode): void {
    if (this.pending) node.content.push(this.pending);
  }
}

function assertName(name: string): void {
  if (!NAME.test(name) || RESERVED_NAMES.has(name)) throw GIVE_UP;
}

/** Attribute text with nothing the general parser would decode or the validator would question. */
function plainValue(value: string): boolean {
  return !/[<>&]/.test(value);
}

/** Element text with nothing to decode (`&`) and no `>` (left to the general path). */
function plainText(run: string): boolean {
  for (let k = 0; k < run.length; k++) {
    const c = run.charCodeAt(k);
    if (c === AMP || c === GT) return false;
  }
  return true;
}
