import type { NoticeText } from './messages';
import { parisDay, parisTime } from './paris-time';

/** Notices of the record's life: closure, reactivation, and the approach of the purge 10 years after closure. */
export type RecordLifeNoticeKind = 'record-closed' | 'record-reactivated' | 'purge-approaching';

/** What a record-life notice says: when, and for purge-approaching when the data will be deleted. */
export interface RecordLifeFacts {
  /** The closure or reactivation instant; for purge-approaching, the closure instant. */
  at: Date;
  /** Purge-approaching: the instant from which the record's data are deleted. */
  purgeAt?: Date;
}


/**
 * The French text of a record-life notice. Like every notice it carries no health data and not the closure
 * reason (a death or a duplicate is not for an SMS): the date, what happens next, and the link to the record.
 */
export function buildRecordLifeNotice(kind: RecordLifeNoticeKind, facts: RecordLifeFacts, recordUrl: string): NoticeText {
  const link = `Consultez votre dossier : ${recordUrl}`;
  const at = parisTime(facts.at);
  switch (kind) {
    case 'record-closed':
      return {
        subject: 'Votre dossier médical partagé a été fermé',
        body: `Votre dossier médical partagé (DMP) a été fermé le ${at}. Plus aucun professionnel n'y a accès ; vous seul pouvez encore le consulter. Ses données sont conservées 10 ans, pendant lesquels vous pouvez le réactiver. ${link}`,
      };
    case 'record-reactivated':
      return {
        subject: 'Votre dossier médical partagé a été réactivé',
        body: `Votre dossier médical partagé (DMP) a été réactivé le ${at}. Les professionnels que vous avez autorisés y ont de nouveau accès. ${link}`,
      };
    case 'purge-approaching':
      return {
        subject: 'Votre dossier médical partagé va être supprimé',
        body: `Votre dossier médical partagé (DMP), fermé le ${at}, sera définitivement supprimé à partir du ${parisDay(facts.purgeAt ?? facts.at)}, au terme de sa durée de conservation de 10 ans. Pour le conserver, réactivez-le avant cette date. ${link}`,
      };
  }
}
