import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as fr from '@zxcvbn-ts/language-fr';
import { unprocessable } from '../fhir/errors';

export const MIN_PASSWORD_LENGTH = 12;
/** zxcvbn's score (0–4) a password must reach: 3 is "safely unguessable" for an online attack with throttling. */
export const MIN_PASSWORD_SCORE = 3;

// The dictionaries take ~130 ms and several MB to rank: built once, on the first password set, not at start-up.
let estimator: ZxcvbnFactory | undefined;
function loadEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    translations: fr.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...fr.dictionary },
  });
  return estimator;
}

// Case, accents and separators do not make a password different enough from the identifier.
const fold = (text: string): string =>
  text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

const sentence = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * Refuses (422, in French, saying what to do) a password shorter than 12 characters, one containing the login
 * identifier, or one zxcvbn scores below 3 with the common and French dictionaries (common passwords, repeated or
 * sequential characters, keyboard rows, names, dictionary words).
 */
export function assertPasswordPolicy(password: string, login: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw unprocessable(`Le mot de passe doit comporter au moins ${MIN_PASSWORD_LENGTH} caractères. Choisissez par exemple plusieurs mots sans lien entre eux.`);
  }
  const folded = fold(password);
  const identifier = fold(login);
  if (identifier.length >= 3 && folded.includes(identifier)) {
    throw unprocessable('Le mot de passe ne doit pas contenir votre identifiant. Choisissez-en un autre, par exemple plusieurs mots sans lien entre eux.');
  }
  // The identifier's parts (jeanne.martin → jeanne, martin) are guessable too: zxcvbn ranks them first.
  const inputs = [login, ...login.split(/[^\p{L}\p{N}]+/u).filter((part) => part.length >= 3)];
  const result = loadEstimator().check(password, inputs);
  if (result.score >= MIN_PASSWORD_SCORE) return;
  const advice = [result.feedback.warning, ...result.feedback.suggestions].filter((t): t is string => !!t).map(sentence);
  throw unprocessable(
    `Ce mot de passe est trop facile à deviner : ${advice.join(' ') || 'il ressemble à un mot de passe courant.'} ` +
      'Choisissez une phrase de passe plus longue, par exemple plusieurs mots sans lien entre eux, séparés par des tirets.',
  );
}
