// The part of @lhncbc/ucum-lhc (NLM's UCUM library, no types of its own) that ucum-units.ts uses.
declare module '@lhncbc/ucum-lhc' {
  interface UnitValidation {
    /** 'valid', 'invalid', or 'error' (an empty or malformed string). */
    status: 'valid' | 'invalid' | 'error';
    /** The UCUM code the library read (trimmed, or a suggestion for an invalid one). */
    ucumCode: string | null;
    msg: string[];
  }
  export const UcumLhcUtils: { getInstance(): { validateUnitString(unit: string, suggest?: boolean): UnitValidation } };
}
