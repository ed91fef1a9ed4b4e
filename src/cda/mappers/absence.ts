import type { CodeableConcept, Coding } from '@medplum/fhirtypes';

/**
 * "No known …" statements. A CDA document says "no allergy / no treatment / no vaccination" in three ways: a
 * dedicated code (SNOMED CT "no known allergy", IPS absent-unknown), a negated statement (`negationInd="true"`)
 * about a generic agent ("substance", "drug or medication", "vaccine"), or a nullFlavor where the agent should be.
 * None of them is a positive fact; this module recognises them so that the mappers never turn them into one.
 */

const SNOMED = 'http://snomed.info/sct';
const IPS_SYSTEM = 'http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips';

/** SNOMED CT findings that state an absence (the FHIR way to record "no known allergy" uses the first three). */
const SNOMED_ABSENCE: Record<string, string> = {
  '716186003': 'No known allergy',
  '409137002': 'No known drug allergy',
  '429625007': 'No known food allergy',
  '428607008': 'No known environmental allergy',
  '182849000': 'No drug therapy prescribed',
  '160245001': 'No current problems or disability',
};

/** IPS absent-unknown codes (`http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips`, 2.16.840.1.113883.5.1150.1). */
const IPS_ABSENCE = new Set([
  'no-allergy-info', 'no-known-allergies', 'no-medication-info', 'no-known-medications', 'no-immunization-info',
  'no-known-immunizations', 'no-problem-info', 'no-known-problems', 'no-procedure-info', 'no-known-procedures',
]);

/** SNOMED CT codes naming no particular agent or disorder: "substance", "drug or medicament", "allergy to substance"… */
const GENERIC_CODES = new Set([
  '105590001', // Substance
  '410942007', // Drug or medicament
  '373873005', // Pharmaceutical / biologic product
  '71181003', // Vaccine
  '787859002', // Vaccine product
  '419199007', // Allergy to substance
  '416098002', // Allergy to drug
  '414285001', // Allergy to food
  '418038007', // Propensity to adverse reactions to substance
  '420134006', // Propensity to adverse reactions
  '419511003', // Propensity to adverse reactions to drug
  '418471000', // Propensity to adverse reactions to food
  '59037007', // Drug intolerance
  '235719002', // Food intolerance
  '609328004', // Allergic disposition
  '55607006', // Problem
  '404684003', // Clinical finding
  '64572001', // Disease
  '282291009', // Diagnosis interpretation
  '409586006', // Complaint
  '418799008', // Symptom
  '71388002', // Procedure
]);
const DRUG_CODES = new Set(['410942007', '373873005', '416098002', '419511003', '59037007']);
const FOOD_CODES = new Set(['414285001', '418471000', '235719002']);

function isSnomed(coding: Coding): boolean {
  return coding.system === SNOMED;
}

/** The coding among the concepts that states an absence ("no known allergy", IPS "no-known-medications"…). */
export function absenceCoding(...concepts: (CodeableConcept | undefined)[]): Coding | undefined {
  for (const coding of concepts.flatMap((c) => c?.coding ?? [])) {
    if (coding.code && isSnomed(coding) && SNOMED_ABSENCE[coding.code]) return coding;
    if (coding.code && IPS_ABSENCE.has(coding.code)) return coding;
  }
  return undefined;
}

/**
 * True when the concept names nothing in particular: absent, only generic codes ("substance", "vaccine"), or no
 * code and no text. A literal text beside generic codes ("Vaccination") does not name an agent either.
 */
export function isUnidentified(concept: CodeableConcept | undefined): boolean {
  if (!concept) return true;
  if (concept.coding?.length) return concept.coding.every((c) => !c.code || (isSnomed(c) && GENERIC_CODES.has(c.code)));
  return !concept.text;
}

/** The FHIR "no known allergy" code for a negated generic allergy: drug, food, or any allergy. */
export function noKnownAllergyCode(...concepts: (CodeableConcept | undefined)[]): CodeableConcept {
  const codes = concepts.flatMap((c) => c?.coding ?? []).filter(isSnomed).map((c) => c.code ?? '');
  const code = codes.some((c) => DRUG_CODES.has(c)) ? '409137002' : codes.some((c) => FOOD_CODES.has(c)) ? '429625007' : '716186003';
  return { coding: [{ system: SNOMED, code, display: SNOMED_ABSENCE[code] }] };
}

/** The FHIR form of an absence coding found in a document: SNOMED CT as it is, IPS codes with the IPS system. */
export function absenceConcept(coding: Coding): CodeableConcept {
  if (isSnomed(coding)) return { coding: [{ system: SNOMED, code: coding.code, display: coding.display ?? SNOMED_ABSENCE[coding.code ?? ''] }] };
  return { coding: [{ ...coding, system: IPS_SYSTEM }] };
}

/**
 * Words that open a statement of absence, in French and English: « Pas de traitement », « Aucune allergie connue »,
 * « Sans antécédent », "No known drug allergy", "None", NKDA. Only the opening words are read; « sans » and
 * « absence de » only before what a record lists (a treatment, an allergy …).
 */
const ABSENCE_NOUNS = "(traitement|m[ée]dicament|allergie|ant[ée]c[ée]dent|vaccin|probl[èe]me|pathologie)";
const ABSENCE_OPENINGS = [
  /^\s*(pas\s+d(e\b|['’])|aucun(e|s|es)?\b|n[ée]ant\b|rien\b)/i,
  // « Sans » and « absence de » also open names of conditions (« sans domicile fixe », « absence de rein droit »):
  // only followed by what a record lists.
  new RegExp(`^\\s*(sans\\s+|absence\\s+d(e\\s+|['’]))${ABSENCE_NOUNS}`, 'i'),
  /^\s*(no|none|nil|nkda|nka|denies)\b/i,
];

/**
 * True when the concept's own words state an absence: its text, or the display of every coding it has (a sender's
 * local code « Pas de traitement »). "Pas de traitement" as a product's originalText became an active
 * MedicationStatement of a medication named « Pas de traitement ».
 */
export function absenceInWords(concept: CodeableConcept | undefined): boolean {
  if (!concept) return false;
  const says = (text: string | undefined) => !!text && ABSENCE_OPENINGS.some((re) => re.test(text));
  if (says(concept.text)) return true;
  const codings = concept.coding ?? [];
  return codings.length > 0 && codings.every((c) => says(c.display));
}
