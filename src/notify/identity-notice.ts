import type { NoticeText } from './messages';
import { parisTime } from './paris-time';


/** Who corrected an identity, in words for the patient (e.g. "l'Assurance Maladie", "un professionnel … (RPPS …)"). */
export interface IdentityNoticeFacts {
  at: Date;
  who: string;
}

/**
 * The French notice of an identity correction (`Patient/$update-identity`): when (Paris time) and by whom the
 * identity of the record was corrected. No health data, and not the new identity itself either (an SMS or an
 * e-mail is not a safe place for an INS): the patient checks it in his record.
 */
export function buildIdentityCorrectedNotice(facts: IdentityNoticeFacts, recordUrl: string): NoticeText {
  return {
    subject: "Correction de l'identité de votre dossier médical partagé",
    body:
      `L'identité de votre dossier médical partagé (DMP) a été corrigée le ${parisTime(facts.at)} par ${facts.who}. ` +
      `Si vous n'êtes pas à l'origine de cette démarche, contactez votre caisse d'Assurance Maladie. Consultez votre dossier : ${recordUrl}`,
  };
}
