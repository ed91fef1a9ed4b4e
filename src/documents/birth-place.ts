import type { Address, Extension, Patient } from '@medplum/fhirtypes';

/** The birth place of a Patient (HL7 core extension, used by FR Core and by our CDA mapping). */
export const BIRTH_PLACE_URL = 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace';
/** FR Core's INSEE code of an address (a Coding, the 5-character COG code). */
export const INSEE_CODE_URL = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code';
/** An INSEE COG commune code: 5 digits, Corsica 2A/2B then 3 digits (born abroad: 99 + the country's code). */
const INSEE_COG = /^(?:\d{5}|2[AB]\d{3})$/;

function cogCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const code = value.trim().toUpperCase();
  return INSEE_COG.test(code) ? code : undefined;
}

/** The INSEE code of one birth-place address: FR Core's extension, else a `district` that is one (CDA `addr/county`). */
function codeOfAddress(address: Address | undefined): string | undefined {
  if (!address || typeof address !== 'object') return undefined;
  const insee = (Array.isArray(address.extension) ? address.extension : []).find((e) => e?.url === INSEE_CODE_URL);
  const fromExtension = cogCode(insee?.valueCoding?.code) ?? cogCode(insee?.valueCode) ?? cogCode(insee?.valueString);
  // Our CDA mapping puts the header's `birthplace/place/addr/county` (the INSEE COG code, CI-SIS) in `district`, as
  // FHIR writers without FR Core's extension do; a district that is a name ("Marne") says nothing comparable.
  return fromExtension ?? cogCode(address.district);
}

/**
 * The INSEE COG codes a Patient gives for its birth place (INS trait "lieu de naissance"), upper-cased, without
 * repeats. The CDA (`birthplace/place/addr/county`) and FR Core (`patient-birthPlace` with the address's INSEE code
 * extension) spell the place differently: only the code is compared, never a city's spelling.
 */
export function birthPlaceCodesOf(patient: Pick<Patient, 'extension'>): string[] {
  const places = (Array.isArray(patient.extension) ? patient.extension : []).filter((e: Extension) => e?.url === BIRTH_PLACE_URL);
  const codes = places.map((e) => codeOfAddress(e.valueAddress)).filter((c): c is string => !!c);
  return [...new Set(codes)].sort();
}
