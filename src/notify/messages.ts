import { buildIdentityCorrectedNotice } from './identity-notice';
import { parisDay, parisTime } from './paris-time';
import { buildMinorRecordOpenedNotice } from './minor-opening-messages';
import { buildRecordCreatedNotice } from './record-created-messages';
import { buildConsentsWithoutEffectNotice } from './consents-without-effect-messages';
import { buildMajorityNoticeForPatient, type MajorityNoticeKind } from './majority-messages';
import { buildRecordLifeNotice, type RecordLifeNoticeKind } from './record-life-messages';

/** Why a notice is sent. */
export type NoticeKind = 'document-added' | 'first-access' | 'samu-access' | 'break-glass' | 'login-code' | RecordLifeNoticeKind | MajorityNoticeKind | AccountNoticeKind | 'identity-corrected' | 'minor-record-opened' | 'record-created' | 'consents-without-effect';

/** Facts a notice may mention: who and when, never what (messages carry no health data). */
export interface NoticeFacts {
  at: Date;
  /** The professional in words, e.g. "Dr Marie Curie (RPPS 10000000001), Cabinet du Parc". */
  who?: string;
  /** The break-glass justification stated by the professional. */
  reason?: string;
  /** Record life: the instant from which a closed record's data are purged. */
  purgeAt?: Date;
  /** Login code and its lifetime. */
  code?: string;
  validMinutes?: number;
  /** The document a "document-added" notice links to (its page in the patient web space). */
  docId?: string;
  /** Account notices: which contact changed, and until when an activation code is valid. */
  contact?: 'email' | 'sms';
  until?: Date;
  /** Activation: a new code for an existing record (majority hand-over, Assurance Maladie counter), not a new record. */
  renewed?: boolean;
  /** Contact changed: at an Assurance Maladie counter, the holder present with his identity papers. */
  atCounter?: boolean;
  /** Codes retired by a guardian link: which codes no longer work (default: the activation code only). */
  retired?: { activation: boolean; reset: boolean };
}

export interface NoticeText {
  subject: string;
  body: string;
}


/** The page of the patient web space a notice points to: the new document, the access history, the access choices. */
export function noticePage(kind: NoticeKind, facts: NoticeFacts, recordUrl: string): string {
  recordUrl = recordUrl.replace(/\/+$/, '');
  if (kind === 'document-added' && facts.docId) return `${recordUrl}/documents/${encodeURIComponent(facts.docId)}`;
  if (kind === 'first-access' || kind === 'samu-access' || kind === 'break-glass') return `${recordUrl}/history`;
  if (kind === 'consents-without-effect') return `${recordUrl}/access`;
  return recordUrl;
}

/**
 * The text of a notice. Deliberately generic: it names the professional and the time, links to the
 * record, and never says which document or what it contains (an SMS or e-mail is not a safe place for it).
 */
export function buildNotice(kind: NoticeKind, facts: NoticeFacts, recordUrl: string): NoticeText {
  const who = facts.who ?? 'Un professionnel de santé';
  const link = `Consultez votre dossier : ${noticePage(kind, facts, recordUrl)}`;
  const at = parisTime(facts.at);
  switch (kind) {
    case 'document-added':
      return { subject: 'Nouveau document dans votre dossier médical', body: `Un nouveau document a été ajouté à votre dossier médical partagé (DMP) le ${at}. ${link}` };
    case 'first-access':
      return { subject: 'Un professionnel a consulté votre dossier médical', body: `${who} a consulté votre dossier médical partagé (DMP) pour la première fois le ${at}. ${link}` };
    case 'samu-access':
      return { subject: 'Accès d’urgence à votre dossier médical', body: `${who} a consulté votre dossier médical partagé (DMP) en urgence (régulation médicale du SAMU) le ${at}. ${link}` };
    case 'break-glass':
      return {
        subject: 'Accès d’urgence à votre dossier médical',
        body: `${who} a consulté votre dossier médical partagé (DMP) en urgence (accès « bris de glace ») le ${at}. Motif indiqué : ${facts.reason ?? 'aucun'}. ${link}`,
      };
    case 'identity-corrected':
      return buildIdentityCorrectedNotice({ at: facts.at, who: facts.who ?? 'un professionnel habilité' }, recordUrl);
    case 'login-code':
      return { subject: 'Votre code de connexion', body: `Votre code de connexion au DMP est ${facts.code}. Il expire dans ${facts.validMinutes ?? 10} minutes. Ne le communiquez jamais.` };
    // Record life (closure, reactivation, purge): record-life-messages.ts.
    case 'record-closed':
    case 'record-reactivated':
    case 'purge-approaching':
      return buildRecordLifeNotice(kind, { at: facts.at, purgeAt: facts.purgeAt }, recordUrl);
    // The hand-over at majority (records/majority-handover.ts builds its texts with the day and names it knows).
    case 'record-created':
      return buildRecordCreatedNotice({ at: facts.at, who: facts.who ?? 'un professionnel de santé' }, recordUrl);
    case 'consents-without-effect':
      return buildConsentsWithoutEffectNotice(noticePage(kind, facts, recordUrl));
    case 'minor-record-opened':
      return buildMinorRecordOpenedNotice({ at: facts.at, parent: facts.who ?? 'un parent' }, recordUrl);
    case 'guardian-access-ended':
      return buildMajorityNoticeForPatient({ majorityOn: facts.at.toISOString().slice(0, 10), codeSent: false }, recordUrl);
    default:
      return buildAccountNotice(kind, facts);
  }
}

/** True for notices whose body is a secret: never logged, never shown back in Communication resources. */
export function isSecretNotice(kind: string): boolean {
  return kind === 'login-code' || (SECRET_ACCOUNT_NOTICES as readonly string[]).includes(kind);
}

// ---- Account notices (issue 12: activation, password reset, contact change). French, Europe/Paris, no health data.

/** Notices of the account procedures. */
export type AccountNoticeKind = 'activation' | 'password-reset' | 'password-changed' | 'contact-confirmation' | 'contact-changed' | 'activation-code-retired';

/** Account notices whose body carries a code. */
const SECRET_ACCOUNT_NOTICES = ['activation', 'password-reset', 'contact-confirmation'] as const;

const NOT_YOU = 'Si vous n’êtes pas à l’origine de cette demande, ignorez ce message et ne communiquez ce code à personne.';

/** The French text of an account notice: codes, their lifetime, times in Europe/Paris; never any health data. */
export function buildAccountNotice(kind: AccountNoticeKind, facts: NoticeFacts): NoticeText {
  const at = parisTime(facts.at);
  const minutes = facts.validMinutes ?? 15;
  switch (kind) {
    case 'activation':
      return {
        subject: 'Activez votre dossier médical partagé',
        body: `${facts.renewed ? `Un nouveau code d’activation de votre dossier médical partagé (DMP) a été émis le ${at}.` : `Un dossier médical partagé (DMP) a été ouvert à votre nom le ${at}.`} Votre code d’activation est ${facts.code}, valable jusqu’au ${parisDay(facts.until ?? facts.at)}. Il vous permet de choisir votre identifiant et votre mot de passe. ${NOT_YOU}`,
      };
    case 'password-reset':
      return {
        subject: 'Réinitialisation de votre mot de passe',
        body: `Votre code de réinitialisation du mot de passe de votre dossier médical partagé est ${facts.code}. Il expire dans ${minutes} minutes. ${NOT_YOU}`,
      };
    case 'password-changed':
      return {
        subject: 'Votre mot de passe a été modifié',
        body: `Le mot de passe de votre dossier médical partagé a été modifié le ${at}. Si vous n’êtes pas à l’origine de ce changement, réinitialisez votre mot de passe sans attendre et contactez le service d’assistance.`,
      };
    case 'contact-confirmation':
      return {
        subject: 'Confirmez votre nouveau contact',
        body: `Votre code de confirmation pour recevoir les codes de connexion et les avis de votre dossier médical partagé à cette adresse est ${facts.code}. Il expire dans ${minutes} minutes. ${NOT_YOU}`,
      };
    case 'activation-code-retired': {
      // No code, no contact, no name of the guardian: what, when, why, and the way forward (in person, at a counter).
      const { activation, reset } = facts.retired ?? { activation: true, reset: false };
      const both = activation && reset;
      const what = both
        ? 'Le code d’activation de votre dossier médical partagé (DMP) et votre code de réinitialisation du mot de passe en cours ont été annulés'
        : activation ? 'Le code d’activation de votre dossier médical partagé (DMP) a été annulé' : 'Le code de réinitialisation du mot de passe de votre dossier médical partagé (DMP) en cours a été annulé';
      return {
        subject: activation ? 'Votre code d’activation n’est plus valable' : 'Votre code de réinitialisation n’est plus valable',
        body: `${what} le ${at} : ${both ? 'ils avaient pu être envoyés' : 'il avait pu être envoyé'} à une adresse e-mail ou un numéro de mobile qui est celui d’un de vos représentants légaux, enregistré ce jour-là pour votre dossier. Ces codes sont personnels : ils ne doivent parvenir à personne d’autre que vous. Un nouveau code d’activation vous est remis en personne : présentez-vous, muni d’une pièce d’identité, à un accueil de votre caisse d’Assurance Maladie, où vous pourrez aussi faire enregistrer votre propre adresse e-mail ou numéro de mobile. Vos représentants légaux gardent leur propre accès à votre dossier.`,
      };
    }
    case 'contact-changed': {
      const what = facts.contact === 'sms' ? 'Le numéro de mobile de votre dossier médical partagé a été modifié' : 'L’adresse e-mail de votre dossier médical partagé a été modifiée';
      return {
        subject: 'Modification de vos coordonnées',
        body: `${what} le ${at}${facts.atCounter ? ' à un guichet de l’Assurance Maladie, en présence de son titulaire' : ''} ; les codes de connexion et les avis ne vous seront plus envoyés ici. Si vous n’êtes pas à l’origine de ce changement, contactez sans attendre le service d’assistance ou votre caisse d’assurance maladie.`,
      };
    }
  }
}
