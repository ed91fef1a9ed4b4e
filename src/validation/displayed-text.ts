import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';

/**
 * Attack sweep 11 (issue 11: directory data, identifiers and contacts are attack surface): values one person writes
 * and the server shows, sends or logs to another — a professional's or structure's name, a document's title, a
 * reference's display, an e-mail or mobile number — may not carry characters that change how the text around them
 * reads or where a message goes. The FHIR `string` type lets them through (its pattern is "any non-blank text").
 *
 * - In every such value: control characters (C0 but tab and line breaks, DEL, C1), the bidi embeddings, overrides and
 *   isolates (U+202A–U+202E, U+2066–U+2069: "U+202E" turns the rest of a portal sentence around, and a name could read
 *   as another), the line and paragraph separators.
 * - In names, references' displays, titles and contact values also tab, line breaks and the invisible U+200B, U+2060,
 *   U+FEFF: such a value is one line (a line break in a name is how a notice or a log line gets a second, forged one),
 *   and two entries differing by an invisible character look the same to the patient who picks one to block.
 * - An e-mail contact is one bare address (nodemailer reads "a@x.fr, b@y.fr" or "a@x.fr;b@y.fr" as two recipients:
 *   every code and notice of the record would also reach the second); a mobile is a phone number.
 * - A name part is at most 200 characters, another one-line value 500: longer is no name nor title, and is copied into
 *   pages and notices (a guardian's SMS names the child).
 * - A person's name (a HumanName: family, given, prefix, suffix, text together) is written in one alphabet: Latin
 *   mixed with Cyrillic or Greek look-alikes is refused, so are fullwidth or mathematical letters, and a Patient's
 *   identity name (official, maiden) is in Latin letters (see `nameScriptProblem`).
 * Free text meant to hold several lines (`text`, `description`) keeps its line breaks. A value that can never be
 * legitimate is refused (422): nothing is silently rewritten.
 */

const TRICKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2028\u2029\u2066-\u2069]/;
/** In a one-line value, also tab, line breaks and the invisible characters that make two names look alike. */
const NOT_IN_ONE_LINE = /[\t\n\r\u200B\u2060\uFEFF]/;
/** Keys whose string value is one line a person reads as a name or a title. */
const ONE_LINE = new Set(['family', 'given', 'prefix', 'suffix', 'name', 'alias', 'display', 'title', 'contentType']);
/** The parts of a person's name, and the longest any of them is (a guardian's SMS names the child; pages wrap on words). */
const NAME_PARTS = new Set(['family', 'given', 'prefix', 'suffix']);
const NAME_MAX = 200;
/** The longest other one-line value (a title, an organisation's name, a display). */
const ONE_LINE_MAX = 500;
/** Keys whose string value is free text shown as such (line breaks allowed, tricks not). */
const FREE_TEXT = new Set(['text', 'description']);
/** One bare address: no list separator, no display name, no angle brackets or quotes, no comment. */
const ONE_EMAIL = /^[^\s@,;:<>()[\]"'\\]+@[^\s@,;:<>()[\]"'\\]+\.[^\s@,;:<>()[\]"'\\]+$/;
/** A phone number as people write it: digits, +, spaces, dots, dashes, slashes, brackets. */
const PHONE = /^[+\d][\d\s.()/-]*$/;

/**
 * The alphabets whose letters pass for one another (Unicode confusables): Cyrillic а е о р с х у and Greek ο ν ρ τ
 * look like Latin a e o p c x y, o v p t. A person's name mixing them reads as another person's name — `Dupоnt` with a
 * Cyrillic о is not `Dupont` to a comparison, yet is to the patient who picks him to block, or the practitioner who
 * reads a trail — so such a name is refused (issue 11, look-alike letters). Digits, spaces, punctuation (Common) and
 * combining accents (Inherited) belong to no alphabet here.
 */
const LOOK_ALIKE_SCRIPTS: [string, RegExp][] = [['Latin', /\p{Script=Latin}/u], ['Cyrillic', /\p{Script=Cyrillic}/u], ['Greek', /\p{Script=Greek}/u]];
/** A letter of any other alphabet than Latin (a name the INS traits could never be written in). */
const NOT_LATIN_LETTER = /(?!\p{Script=Latin})\p{L}/u;
/** Name uses a Patient's identity is matched on (INS traits: birth name, official names). */
const IDENTITY_USES = ['official', 'maiden'];

/** The look-alike alphabets a text's letters are written in (one, none, or several: mixed). */
export function lookAlikeScriptsOf(text: string): string[] {
  return LOOK_ALIKE_SCRIPTS.filter(([, letter]) => letter.test(text)).map(([name]) => name);
}

/** The words of a HumanName (its parts and its text), for the alphabet checks. */
function nameWords(name: Record<string, unknown>): string {
  const parts = ['family', 'given', 'prefix', 'suffix', 'text'].flatMap((k) => name[k]);
  return parts.filter((p): p is string => typeof p === 'string').join(' ');
}

/**
 * The alphabet problem of one HumanName, if any: Latin mixed with Cyrillic or Greek (or those two together) anywhere
 * in it; and in a Patient's identity name (`official`, `maiden`) any letter that is not Latin: the INS traits are
 * written in Latin letters (RNIV), so a birth name in another alphabet is compared with them only as a different
 * person — and a whole word of Cyrillic look-alikes (`РОРОВ`) reads as a Latin one. A usual name, a guardian's, a
 * professional's may be written wholly in one other alphabet.
 */
function nameScriptProblem(name: Record<string, unknown>, owner: string | undefined): string | undefined {
  const words = nameWords(name);
  // Fullwidth and mathematical letters (`Ｄupont`, `𝐃upont`) belong to no alphabet above yet read as Latin ones.
  const variant = [...words].find((c) => /\p{L}/u.test(c) && c.normalize('NFKC') !== c);
  if (variant) return `contains the letter ${variant} (U+${variant.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}), a presentation form of another: a name is written in plain letters`;
  const scripts = lookAlikeScriptsOf(words);
  if (scripts.length > 1) return `mixes letters of the ${scripts.join(' and ')} alphabets, which look alike: a name is written in one alphabet`;
  if (owner === 'Patient' && IDENTITY_USES.includes(name.use as string) && NOT_LATIN_LETTER.test(words)) {
    return `is an identity name (${String(name.use)}) written with letters other than Latin: the INS traits are written in Latin letters (RNIV), accents allowed`;
  }
  return undefined;
}

/** True for one bare e-mail address (what a transport may hand to nodemailer as `to`). */
export function isOneEmailAddress(value: string): boolean {
  return ONE_EMAIL.test(value);
}

/** True for a phone number as people write it (what a transport may hand to the SMS provider as `to`). */
export function isPhoneNumber(value: string): boolean {
  return PHONE.test(value);
}

function codePoint(value: string, pattern: RegExp): string | undefined {
  const hit = pattern.exec(value)?.[0];
  return hit === undefined ? undefined : `U+${hit.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The problem of one contact point's value, if any (only the channels notices and codes use are held to a grammar). */
function contactProblem(point: Record<string, unknown>): string | undefined {
  const value = typeof point.value === 'string' ? point.value.trim() : undefined;
  if (value === undefined) return undefined;
  if (point.system === 'email' && !ONE_EMAIL.test(value)) return 'An e-mail contact is one address (no list, no name, no brackets): codes and notices are sent to it';
  const mobile = point.system === 'sms' || (point.system === 'phone' && point.use === 'mobile');
  if (mobile && !PHONE.test(value)) return 'A mobile number is made of digits (with +, spaces, dots, dashes or brackets): codes and notices are sent to it';
  return undefined;
}

/** Issues for the displayed one-line values, free texts and contacts of a resource (contained and Bundle entries too). */
export function checkDisplayedText(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const walk = (value: unknown, path: string, key: string, inCoding = false, owner?: string): void => {
    if (typeof value === 'string') {
      // A Coding's display is the code system's wording, copied by the document's author (a public example carries a
      // zero-width space in one): free text, not a name someone chose to be read under.
      const oneLine = ONE_LINE.has(key) && !inCoding;
      if (!oneLine && !FREE_TEXT.has(key) && !(key === 'display' && inCoding)) return;
      const found = codePoint(value, TRICKS) ?? (oneLine ? codePoint(value, NOT_IN_ONE_LINE) : undefined);
      if (found) issues.push({ severity: 'error', code: 'value', diagnostics: `${path} contains the character ${found}, which has no place in a value shown to others (names, titles, contacts)`, expression: [path] });
      const max = NAME_PARTS.has(key) ? NAME_MAX : ONE_LINE_MAX;
      if (oneLine && !found && [...value].length > max) issues.push({ severity: 'error', code: 'value', diagnostics: `${path} is longer than ${max} characters: it is shown to others as one line (pages, notices)`, expression: [path] });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, key, false, owner));
      return;
    }
    if (!value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    // A Narrative is XHTML, checked by its own rules; a Binary's or an attachment's data is base64.
    if (key === 'div' || key === 'data') return;
    const type = typeof record.resourceType === 'string' ? record.resourceType : owner;
    // An object under `name` is a HumanName (a Patient's, a contact's, a Practitioner's, a RelatedPerson's …).
    const scriptProblem = key === 'name' ? nameScriptProblem(record, type) : undefined;
    if (scriptProblem) issues.push({ severity: 'error', code: 'value', diagnostics: `${path} ${scriptProblem}`, expression: [path] });
    if (key === 'telecom') {
      const problem = contactProblem(record);
      if (problem) issues.push({ severity: 'error', code: 'value', diagnostics: `${path}.value: ${problem}`, expression: [`${path}.value`] });
      walk(record.value, `${path}.value`, 'name');
    }
    const coding = !('resourceType' in record) && ('code' in record || 'system' in record);
    for (const [k, v] of Object.entries(record)) if (!(key === 'telecom' && k === 'value')) walk(v, `${path}.${k}`, k, coding, type);
  };
  walk(resource, resource.resourceType, '');
  return issues;
}
