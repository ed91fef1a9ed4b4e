import type { NoticeText } from './messages';
import { parisTime } from './paris-time';

/**
 * The notice of a child's record opened by a parent, to the record's contacts and its guardians (the parent who
 * opened it reads it with the line saying whose record it is): when, by whom, and what to do if it was not wanted.
 */
export function buildMinorRecordOpenedNotice(facts: { at: Date; parent: string }, recordUrl: string): NoticeText {
  return {
    subject: 'Ouverture d’un dossier médical partagé par un parent',
    body:
      `Un dossier médical partagé (DMP) a été ouvert le ${parisTime(facts.at)} par ${facts.parent}, qui s’est déclaré représentant légal de l’enfant et y a accès jusqu’à sa majorité. ` +
      `Si cette démarche n’a pas été faite par un parent de l’enfant, contactez sans attendre votre caisse d’Assurance Maladie. Consultez le dossier : ${recordUrl}`,
  };
}
