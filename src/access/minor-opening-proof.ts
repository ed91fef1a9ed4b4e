import type { Patient } from '@medplum/fhirtypes';
import { StateKey } from '../fhir/request-state';
import { forbidden, unprocessable } from '../fhir/errors';
import { explainInsProblem } from '../validation/ins';
import { INS_SYSTEMS } from './actor';
import { isMinorAt } from './guardian-rules';
import { insValues } from './record-ins';

/** Relationships a parent declares when opening his child's record (a court guardian goes through the identity procedure). */
export const PARENT_RELATIONSHIPS = ['MTH', 'FTH', 'PRN'] as const;
export type ParentRelationship = (typeof PARENT_RELATIONSHIPS)[number];

/**
 * Why a matricule INS (NIR or NIA) does not describe a person born on `birthDate` with `gender`, or undefined when it
 * does. The matricule states the sex (1st character: 1 man, 2 woman) and the year and month of birth (characters
 * 2–3 and 4–5; a month 20 or above means unknown, which the check accepts).
 */
export function insMismatch(ins: string, birthDate: string, gender: Patient['gender']): string | undefined {
  const sex = ins[0];
  if ((sex === '1' && gender !== 'male') || (sex === '2' && gender !== 'female')) return 'son premier chiffre (le sexe) ne correspond pas au sexe déclaré';
  if (ins.slice(1, 3) !== birthDate.slice(2, 4)) return 'ses chiffres 2 et 3 (l’année de naissance) ne correspondent pas à la date de naissance déclarée';
  const month = Number(ins.slice(3, 5));
  if (month >= 1 && month <= 12 && ins.slice(3, 5) !== birthDate.slice(5, 7)) return 'ses chiffres 4 et 5 (le mois de naissance) ne correspondent pas à la date de naissance déclarée';
  return undefined;
}

/**
 * The parent's side of the proof: a record of his own (the token's patient), open, carrying an INS, and an adult in
 * Europe/Paris. 403 otherwise: only such a parent may declare himself the guardian of a child here.
 */
export function assertParentMayOpen(parent: Patient | undefined, now: Date): Patient {
  if (!parent) throw forbidden('Seul un parent connecté à son propre dossier médical partagé peut ouvrir celui de son enfant mineur.');
  if (parent.active === false) throw forbidden('Votre dossier est fermé : réactivez-le avant d’ouvrir celui de votre enfant.');
  if (insValues(parent).length === 0) throw forbidden('Votre dossier ne porte pas votre INS : faites vérifier votre identité avant d’ouvrir celui de votre enfant.');
  if (!parent.birthDate || isMinorAt(parent.birthDate, now)) throw forbidden('Un mineur ne peut pas ouvrir le dossier d’un autre mineur : un parent majeur le fait.');
  return parent;
}

/**
 * The child's side: one INS (well-formed, not the parent's), a full birth date making him a minor today in
 * Europe/Paris, a sex, and an INS that agrees with both (`insMismatch`). 422 naming what is wrong.
 */
export function assertChildMayBeOpened(child: Patient, parent: Patient, now: Date): void {
  const ins = (child.identifier ?? []).filter((i) => i.system && INS_SYSTEMS.includes(i.system) && i.value);
  if (ins.length !== 1) throw unprocessable('Le dossier de l’enfant porte son INS (un identifiant NIR ou NIA, exactement un).');
  const value = ins[0].value as string;
  const problem = explainInsProblem(value);
  if (problem) throw unprocessable(`INS ${ins[0].system}|${value}: ${problem}`);
  if (insValues(parent).includes(value)) throw unprocessable('L’INS de l’enfant est le vôtre : chacun a son propre dossier.');
  if (!child.birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(child.birthDate)) throw unprocessable('La date de naissance complète de l’enfant (AAAA-MM-JJ) est requise.');
  if (!isMinorAt(child.birthDate, now)) throw unprocessable('Cette personne est majeure : elle ouvre son dossier elle-même (en ligne, en pharmacie ou auprès de l’Assurance Maladie).');
  if (child.gender !== 'male' && child.gender !== 'female') throw unprocessable('Le sexe de l’enfant (male ou female) est requis : l’INS le porte.');
  const mismatch = insMismatch(value, child.birthDate, child.gender);
  if (mismatch) throw unprocessable(`L’INS de l’enfant ne correspond pas à son identité déclarée : ${mismatch}.`);
}

/** Set in `ctx.state` while `Patient/$open-minor-record` writes the child's Patient, opening Consent and guardian link. */
export const MINOR_OPENING_STATE = new StateKey<boolean>('access.minorOpening');
