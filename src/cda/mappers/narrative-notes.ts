import type { Annotation } from '@medplum/fhirtypes';
import { all, at, attr, textOf } from '../cda-node';
import type { EntryLocation, MappingContext } from '../mapping-context';
import type { XmlNode } from '../xml-tree';

/** Codes that say present/positive and absent/negative (SNOMED CT, HL7 ObservationInterpretation). */
const POSITIVE_CODES = new Set(['10828004', '260373001', '52101004', 'POS', 'DET']);
const NEGATIVE_CODES = new Set(['260385009', '260415000', '2667000', 'NEG', 'ND']);
// \b is ASCII-only in JavaScript: letters are delimited with Unicode property lookarounds instead.
const NEGATIVE_WORDS = /(?<!\p{L})(n[ée]gati(f|ve|fs|ves)|non[- ]d[ée]tect[ée]e?s?|absen(t|te|ts|tes|ce)|not detected|undetected)(?!\p{L})/iu;
const POSITIVE_WORDS = /(?<!\p{L})(positi(f|ve|fs|ves)|d[ée]tect[ée]e?s?|pr[ée]sen(t|te|ts|tes|ce)|detected)(?!\p{L})/iu;

type Polarity = 'positive' | 'negative';

/**
 * The narrative that coded elements point at (`originalText/reference`), as notes: it is what the author wrote,
 * not the code's text, so it never becomes `CodeableConcept.text` beside a code. When it says the opposite of the
 * code (a result coded positive whose narrative reads "négatif"), the import carries a warning naming the entry.
 */
export function narrativeNotes(ctx: MappingContext, location: EntryLocation, ...codes: (XmlNode | undefined)[]): Annotation[] {
  const notes: string[] = [];
  for (const code of codes) {
    const original = at(code, 'originalText');
    const narrative = original?.narrative;
    if (!code || !narrative || textOf(original) || !hasCode(code)) continue;
    const coded = polarityOfCode(code);
    const written = polarityOfText(narrative);
    if (coded && written && coded !== written) {
      // Positions and polarities only: warnings may be logged, the narrative itself stays in the resource.
      ctx.warnings.push(`Entry ${location.path}: ${code.name} coded ${coded} but its narrative reads ${written}; the code is kept, the narrative is in note`);
    }
    if (!notes.includes(narrative)) notes.push(narrative);
  }
  return notes.map((text) => ({ text }));
}

/** Appends notes to a resource's `note`, if any. */
export function addNotes(resource: { note?: Annotation[] }, notes: Annotation[]): void {
  if (notes.length) resource.note = [...(resource.note ?? []), ...notes];
}

function hasCode(code: XmlNode): boolean {
  return [code, ...all(code, 'translation')].some((c) => attr(c, 'code') && !attr(c, 'nullFlavor'));
}

function polarityOfCode(code: XmlNode): Polarity | undefined {
  for (const c of [code, ...all(code, 'translation')]) {
    const value = attr(c, 'code') ?? '';
    if (POSITIVE_CODES.has(value)) return 'positive';
    if (NEGATIVE_CODES.has(value)) return 'negative';
  }
  const display = attr(code, 'displayName');
  return display ? polarityOfText(display) : undefined;
}

function polarityOfText(text: string): Polarity | undefined {
  if (NEGATIVE_WORDS.test(text)) return 'negative';
  if (POSITIVE_WORDS.test(text)) return 'positive';
  return undefined;
}
