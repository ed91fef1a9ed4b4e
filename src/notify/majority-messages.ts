import type { NoticeText } from './messages';
import { parisDay } from './paris-time';

/** The hand-over of a record at its holder's majority (issue 12). */
export type MajorityNoticeKind = 'guardian-access-ended';

/** What the hand-over notices say: the majority day, whose record, and how the young adult gets his credentials. */
export interface MajorityFacts {
  /** The 18th birthday (a calendar day in Europe/Paris, YYYY-MM-DD). */
  majorityOn: string;
  /** The young adult's name, for his former guardians ("Lou PETIT"). */
  name?: string;
  /** Whether an activation code was sent to the record's own contact (otherwise: the counter procedure). */
  codeSent: boolean;
  /** Patient.gender, for the French agreement (« majeure », « seule »); otherwise the masculine, the neutral use. */
  gender?: string;
}

/** « majeur » / « majeure », « seul » / « seule » as French agrees them with the young adult. */
const agree = (word: 'majeur' | 'seul', gender?: string): string => (gender === 'female' ? `${word}e` : word);

/** A calendar day (YYYY-MM-DD) in French ("7 décembre 2026"); noon UTC is that same day in Paris. */
export const frenchDay = (day: string): string => parisDay(new Date(`${day}T12:00:00Z`));

/** Where a young adult without a contact of his own gets his credentials (README: "Majority hand-over"). */
const COUNTER =
  'Pour obtenir vos identifiants de connexion, présentez-vous avec une pièce d’identité à un accueil de votre caisse d’Assurance Maladie, qui vous remettra un code d’activation.';

/**
 * The young adult's notice: his legal representatives no longer have access, he manages his record alone, and how he
 * signs in (a code sent separately, or the counter). No health data, like every notice.
 */
export function buildMajorityNoticeForPatient(facts: MajorityFacts, recordUrl: string): NoticeText {
  const credentials = facts.codeSent
    ? 'Un code d’activation vous est envoyé dans un message séparé : il vous permet de choisir votre identifiant et votre mot de passe. Les identifiants créés avant votre majorité ne sont plus valables.'
    : `Les identifiants créés avant votre majorité ne sont plus valables. ${COUNTER}`;
  return {
    subject: `Vous gérez désormais ${agree('seul', facts.gender)} votre dossier médical partagé`,
    body: `Vous êtes ${agree('majeur', facts.gender)} depuis le ${frenchDay(facts.majorityOn)} : vos représentants légaux n’ont plus accès à votre dossier médical partagé (DMP), que vous gérez désormais ${agree('seul', facts.gender)}. ${credentials} Consultez votre dossier : ${recordUrl}`,
  };
}

/** A former guardian's notice: his rights on the record ended at the holder's 18th birthday. No link to the record. */
export function buildMajorityNoticeForGuardian(facts: MajorityFacts): NoticeText {
  const who = facts.name ?? 'La personne dont vous étiez le représentant légal';
  return {
    subject: 'Fin de votre accès au dossier médical partagé de votre enfant',
    body: `${who} est ${agree('majeur', facts.gender)} depuis le ${frenchDay(facts.majorityOn)}. Vos droits de représentant légal sur son dossier médical partagé (DMP) ont pris fin ce jour-là : vous n’y avez plus accès, et les avis de ce dossier ne vous sont plus envoyés. ${facts.gender === 'female' ? 'Elle' : 'Il'} le gère désormais ${agree('seul', facts.gender)}.`,
  };
}
