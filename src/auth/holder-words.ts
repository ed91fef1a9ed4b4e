import type { Patient } from '@medplum/fhirtypes';
import { INS_SYSTEMS } from '../validation/ins';

/** What anyone who knows the holder, or reads a document about him, knows: words a password must not be built from. */
export interface HolderWords {
  /** Names, birth date in its usual spellings, e-mail addresses and their local parts. */
  words: string[];
  /** Numbers printed on cards, prescriptions and letters: the INS (NIR, 13 digits and with its key) and mobile numbers. */
  numbers: string[];
}

/** Digits of a phone number in the national form without its leading 0 (`+33 6 12 …` and `06 12 …` alike). */
function phoneDigits(value: string): string | undefined {
  const digits = value.replace(/\D/g, '').replace(/^33/, '').replace(/^0/, '');
  return digits.length >= 9 ? digits : undefined;
}

/** Spellings of a full birth date (YYYY-MM-DD): 02042015, 20150402, 2015-04-02, 02/04/2015. */
function birthDateWords(birthDate: string | undefined): string[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate ?? '');
  if (!m) return [];
  const [, y, mo, d] = m;
  return [`${d}${mo}${y}`, `${y}${mo}${d}`, `${y}-${mo}-${d}`, `${d}/${mo}/${y}`, `${d}${mo}${y.slice(2)}`];
}

/** The words and numbers of a record's holder that his password must not be made of. */
export function holderWords(patient: Patient | undefined): HolderWords {
  const words: string[] = [];
  const numbers: string[] = [];
  for (const name of patient?.name ?? []) words.push(...[name.family, ...(name.given ?? [])].filter((w): w is string => !!w && w.length >= 3));
  words.push(...birthDateWords(patient?.birthDate));
  for (const id of patient?.identifier ?? []) {
    if (!id.value || !INS_SYSTEMS.includes(id.system ?? '')) continue;
    const ins = id.value.replace(/\s/g, '');
    numbers.push(ins, ins.slice(0, 13));
  }
  for (const t of patient?.telecom ?? []) {
    if (!t.value) continue;
    if (t.system === 'email') words.push(t.value, t.value.split('@')[0]);
    else if (t.system === 'phone' || t.system === 'sms') {
      const digits = phoneDigits(t.value);
      if (digits) numbers.push(digits);
    }
  }
  return { words: [...new Set(words)], numbers: [...new Set(numbers)] };
}
