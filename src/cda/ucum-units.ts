import { UcumLhcUtils } from '@lhncbc/ucum-lhc';

/**
 * True when a CDA PQ unit is a valid UCUM code as written (case-sensitive c/s form), by NLM's UCUM library
 * (`@lhncbc/ucum-lhc`: the full UCUM table, prefixes, annotations `{…}`, arbitrary units `[IU]`). A list of units
 * let `mEq/L` (UCUM: `meq/L`), `beats/min` or `sec` through as UCUM codes: a reader converting units got a code UCUM
 * does not define. The library trims spaces and suggests corrections; neither is taken: the code is the document's
 * unit exactly, or there is none.
 *
 * Valid UCUM that French laboratories write with another meaning is refused too: `G/L` and `T/L` are gauss and tesla
 * per litre (the sender means 10*9/L and 10*12/L). The unit then stays the document's text (`unit` without
 * `system`/`code`).
 */
export function isUcumCode(unit: string): boolean {
  if (FRENCH_SPELLINGS.some((re) => re.test(unit))) return false;
  const known = verdicts.get(unit);
  if (known !== undefined) return known;
  const result = validator().validateUnitString(unit, false);
  const valid = result.status === 'valid' && result.ucumCode === unit;
  if (verdicts.size < MAX_REMEMBERED) verdicts.set(unit, valid);
  return valid;
}

/** UCUM units that a French report means otherwise (see isUcumCode). */
const FRENCH_SPELLINGS = [/^[GT]\/L$/];

// A document repeats a few units hundreds of times; the units of a day's imports are a few hundred. Bounded so that
// documents full of distinct made-up units cannot grow it.
const MAX_REMEMBERED = 10_000;
const verdicts = new Map<string, boolean>();

let instance: ReturnType<typeof UcumLhcUtils.getInstance> | undefined;
/** The library's instance, made on first use (it loads its unit table, ~80 ms, in each worker that maps CDA). */
function validator(): ReturnType<typeof UcumLhcUtils.getInstance> {
  instance ??= UcumLhcUtils.getInstance();
  return instance;
}
