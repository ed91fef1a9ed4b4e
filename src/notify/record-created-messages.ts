import type { NoticeText } from './messages';
import { parisTime } from './paris-time';

/** What the record-created notice says: when (Europe/Paris) and by whom, in words. */
export interface RecordCreatedFacts {
  at: Date;
  /** The creator in words: « vous-même, en ligne », « Dr Marie Curie (RPPS …), Pharmacie du Parc », « l’Assurance Maladie ». */
  who: string;
}

/**
 * The notice of a record's creation (issue 12: a notice for each identity event), to the record's contact and, for a
 * minor, his guardians: when, by whom, how the credentials come, what to do if it was not wanted, the link to the
 * record. No health data and no code (the activation code travels in its own secret message or on paper).
 */
export function buildRecordCreatedNotice(facts: RecordCreatedFacts, recordUrl: string): NoticeText {
  return {
    subject: 'Création de votre dossier médical partagé',
    body:
      `Votre dossier médical partagé (DMP) a été créé le ${parisTime(facts.at)} par ${facts.who}. ` +
      'Un code d’activation, envoyé dans un message séparé ou remis sur papier, permet de choisir l’identifiant et le mot de passe. ' +
      `Si vous n’êtes pas à l’origine de cette démarche, contactez sans attendre votre caisse d’Assurance Maladie. Consultez votre dossier : ${recordUrl}`,
  };
}
