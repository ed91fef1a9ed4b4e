import type { HumanName, Patient } from '@medplum/fhirtypes';
import { unprocessable } from '../fhir/errors';
import { birthPlaceCodesOf } from './birth-place';
import { lookAlikeScriptsOf } from '../validation/displayed-text';

/** One identity trait on which the document and the matched record disagree. */
export interface TraitConflict {
  trait: 'birthDate' | 'gender' | 'birthName' | 'firstName' | 'birthPlace';
  document: string;
  record: string;
}

/** Case, accents, spaces, hyphens and apostrophes do not make two names different (`Le Gall` = `LEGALL`, `Hélène` = `HELENE`). */
export function normaliseName(value: string): string {
  return value.normalize('NFD').replace(/\p{M}+/gu, '').replace(/[\s\-'’.]+/g, '').toLowerCase();
}

/** The birth name: family of the official (CDA `qualifier="BR"`) or maiden name, else the first family name. */
export function birthNameOf(patient: Pick<Patient, 'name'>): string | undefined {
  const names: HumanName[] = patient.name ?? [];
  const birth = names.find((n) => (n.use === 'official' || n.use === 'maiden') && n.family) ?? names.find((n) => n.family);
  return birth?.family;
}

/**
 * The first birth first name (INS trait "premier prénom"): the first word of the first given name of the official or
 * maiden name — the CI-SIS header gives the birth first names as one space-separated list. Undefined when no identity
 * name states its given names (a name of unknown use says nothing of the birth first names).
 */
export function firstNameOf(patient: Pick<Patient, 'name'>): string | undefined {
  const name = (patient.name ?? []).find((n) => (n.use === 'official' || n.use === 'maiden') && n.given?.length);
  return name?.given?.[0]?.trim().split(/\s+/)[0] || undefined;
}

/**
 * Two names agree when they normalise alike and neither mixes look-alike alphabets: `DUPОNT` with a Cyrillic О is not
 * `DUPONT`, and a record holding such a name (written before names were held to one alphabet) agrees with nobody, not
 * even with the same spelling, until the identity procedure corrects it (issue 11, look-alike letters).
 */
function namesAgree(a: string, b: string): boolean {
  if (lookAlikeScriptsOf(a).length > 1 || lookAlikeScriptsOf(b).length > 1) return false;
  return normaliseName(a) === normaliseName(b);
}

/** Dates of different precision agree when one is a prefix of the other (`1977` and `1977-05-02`). */
function datesAgree(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** `unknown` gender is no information. */
function genderOf(patient: Patient): string | undefined {
  return patient.gender && patient.gender !== 'unknown' ? patient.gender : undefined;
}

/**
 * The traits (birth date, administrative sex, birth name, first birth first name, birth place's INSEE code) on which the
 * two disagree; a trait missing on either side is no conflict.
 */
export function traitConflicts(document: Patient, record: Patient): TraitConflict[] {
  const conflicts: TraitConflict[] = [];
  if (document.birthDate && record.birthDate && !datesAgree(document.birthDate, record.birthDate)) {
    conflicts.push({ trait: 'birthDate', document: document.birthDate, record: record.birthDate });
  }
  const [docGender, recGender] = [genderOf(document), genderOf(record)];
  if (docGender && recGender && docGender !== recGender) conflicts.push({ trait: 'gender', document: docGender, record: recGender });
  const [docName, recName] = [birthNameOf(document), birthNameOf(record)];
  if (docName && recName && !namesAgree(docName, recName)) conflicts.push({ trait: 'birthName', document: docName, record: recName });
  // Twins share a birth name, a birth date and often a sex: the first name tells them apart (attack sweep 11).
  const [docFirst, recFirst] = [firstNameOf(document), firstNameOf(record)];
  if (docFirst && recFirst && !namesAgree(docFirst, recFirst)) conflicts.push({ trait: 'firstName', document: docFirst, record: recFirst });
  // The birth place (an INS trait) is compared by its INSEE COG code only, when both sides carry one: a document about a
  // person born elsewhere, with the record's INS, birth date and names, was filed in the record (issue 11).
  const [docPlace, recPlace] = [birthPlaceCodesOf(document), birthPlaceCodesOf(record)];
  if (docPlace.length && recPlace.length && docPlace.join() !== recPlace.join()) conflicts.push({ trait: 'birthPlace', document: docPlace.join(', '), record: recPlace.join(', ') });
  return conflicts;
}

/**
 * The document is filed in the matched record only if its identity agrees with it (ANS INS / RNIV identity
 * vigilance): any conflicting trait → 422 listing each with the document's value (`birthDate: document 1977-05-02,
 * not the record's`). Never the record's value: the sender may be a feeder, which reads no record — it learnt the
 * birth date, birth name and first name of anyone whose INS it knew by sending a header with wrong ones (attack
 * sweep 11).
 */
export function assertIdentityAgrees(document: Patient | undefined, record: Patient & { id: string }, by: { system: string; value: string }): void {
  const conflicts = document ? traitConflicts(document, record) : [];
  if (!conflicts.length) return;
  const head = `The document's patient does not agree with the record Patient/${record.id} matched by ${by.system}|${by.value}`;
  throw unprocessable(conflicts.map((c) => {
    const text = `${head}: ${c.trait}: document ${c.document}, not the record's`;
    return { severity: 'error' as const, code: 'business-rule' as const, diagnostics: text, details: { text } };
  }));
}
