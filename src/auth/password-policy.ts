import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as fr from '@zxcvbn-ts/language-fr';
import { unprocessable } from '../fhir/errors';
import type { HolderWords } from './holder-words';

export const MIN_PASSWORD_LENGTH = 12;
/** zxcvbn's score (0–4) a password must reach: 3 is "safely unguessable" for an online attack with throttling. */
export const MIN_PASSWORD_SCORE = 3;
/** The service's own names (NIST SP 800-63B §5.1.1.2: "context-specific words, such as the name of the service"). */
const SERVICE_WORDS = ['dmp', 'dossier medical partage', 'dossiermedicalpartage', 'mon espace sante', 'monespacesante', 'ameli'];

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
 * identifier or (when the record is known) the holder's INS or mobile number, or one zxcvbn scores below 3 with the
 * common and French dictionaries and the holder's own words (common passwords, repeated or sequential characters,
 * keyboard rows, names, dictionary words, his name, birth date, e-mail, the service's name).
 */
export function assertPasswordPolicy(password: string, login: string, holder: HolderWords = { words: [], numbers: [] }): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw unprocessable(`Le mot de passe doit comporter au moins ${MIN_PASSWORD_LENGTH} caractères. Choisissez par exemple plusieurs mots sans lien entre eux.`);
  }
  const folded = fold(password);
  const identifier = fold(login);
  if (identifier.length >= 3 && folded.includes(identifier)) {
    throw unprocessable('Le mot de passe ne doit pas contenir votre identifiant. Choisissez-en un autre, par exemple plusieurs mots sans lien entre eux.');
  }
  // The holder's INS and mobile number are printed on his card, prescriptions and letters, and known to whoever holds
  // one of them: the 13 digits of his NIR were accepted as a password (attack sweep 6b). Compared on digits alone.
  const digits = password.replace(/\D/g, '');
  if (holder.numbers.some((n) => digits.includes(n.replace(/\D/g, '')))) {
    throw unprocessable('Le mot de passe ne doit pas contenir votre numéro de sécurité sociale (INS) ni votre numéro de téléphone : ils figurent sur des documents que d’autres ont vus. Choisissez par exemple plusieurs mots sans lien entre eux.');
  }
  // The identifier's parts (jeanne.martin → jeanne, martin) are guessable too: zxcvbn ranks them first, and so the
  // holder's names, birth date and e-mail, which those who know him know (name + birth date scored 3 before).
  const own = [...SERVICE_WORDS, ...holder.words];
  const inputs = [login, ...login.split(/[^\p{L}\p{N}]+/u).filter((part) => part.length >= 3), ...own];
  const result = loadEstimator().check(password, inputs);
  if (result.score >= MIN_PASSWORD_SCORE) {
    assertNotMadeOfHolderWords(folded, own, inputs);
    return;
  }
  const advice = [result.feedback.warning, ...result.feedback.suggestions].filter((t): t is string => !!t).map(sentence);
  throw unprocessable(
    `Ce mot de passe est trop facile à deviner : ${advice.join(' ') || 'il ressemble à un mot de passe courant.'} ` +
      'Choisissez une phrase de passe plus longue, par exemple plusieurs mots sans lien entre eux, séparés par des tirets.',
  );
}

/**
 * What is left of a password once the holder's own words (names, birth date, e-mail, the service's name) are taken out
 * must still be hard to guess (the service's name is one of them): zxcvbn counted "Martin05031979!" — the holder's name and birth date — as strong, since
 * each known word still costs it thousands of guesses (attack sweep 6b).
 */
function assertNotMadeOfHolderWords(folded: string, words: string[], inputs: string[]): void {
  const known = [...new Set(words.map(fold).filter((w) => w.length >= 3))].sort((a, b) => b.length - a.length);
  const rest = known.reduce((text, word) => text.split(word).join(' '), folded);
  if (rest === folded) return;
  if (loadEstimator().check(rest.trim(), inputs).score >= MIN_PASSWORD_SCORE) return;
  throw unprocessable('Ce mot de passe est fait de votre nom, de votre date de naissance ou de votre adresse e-mail, que d’autres connaissent. Choisissez une phrase de passe sans lien avec vous, par exemple plusieurs mots sans lien entre eux, séparés par des tirets.');
}
