import { randomBytes } from 'node:crypto';

/**
 * Edits a JSON text without re-writing its numbers: `JSON.parse` + `JSON.stringify` turn `2.050` into `2.05` and
 * `75.0` into `75`, and the digits of a FHIR decimal are clinical information. Every number token of the text is
 * swapped for a marked string before parsing, and the same token is written back after the edit, byte for byte.
 */
export function editJsonKeepingNumbers<T>(text: string, edit: (value: T) => T): string {
  const marker = `json-number-${randomBytes(8).toString('hex')}:`;
  const edited = JSON.stringify(edit(JSON.parse(markNumbers(text, marker)) as T));
  return edited.replace(new RegExp(`"${marker}([-+.0-9eE]+)"`, 'g'), '$1');
}

/** The text with each number token outside strings written as the string `"<marker><token>"`. */
function markNumbers(text: string, marker: string): string {
  const out: string[] = [];
  let plain = 0; // start of the text not yet copied
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i += 1;
      while (i < text.length && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 /* \ */ ? 2 : 1;
      i += 1;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < text.length && /[-+.0-9eE]/.test(text[j])) j += 1;
      out.push(text.slice(plain, i), `"${marker}${text.slice(i, j)}"`);
      plain = i = j;
    } else i += 1;
  }
  out.push(text.slice(plain));
  return out.join('');
}
