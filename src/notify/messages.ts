import { buildIdentityCorrectedNotice } from './identity-notice';

/** Why a notice is sent. */
export type NoticeKind = 'document-added' | 'first-access' | 'samu-access' | 'break-glass' | 'login-code' | 'identity-corrected';

/** Facts a notice may mention: who and when, never what (messages carry no health data). */
export interface NoticeFacts {
  at: Date;
  /** The professional in words, e.g. "Dr Marie Curie (RPPS 10000000001), Cabinet du Parc". */
  who?: string;
  /** The break-glass justification stated by the professional. */
  reason?: string;
  /** Login code and its lifetime. */
  code?: string;
  validMinutes?: number;
}

export interface NoticeText {
  subject: string;
  body: string;
}

function when(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The text of a notice. Deliberately generic: it names the professional and the time, links to the
 * record, and never says which document or what it contains (an SMS or e-mail is not a safe place for it).
 */
export function buildNotice(kind: NoticeKind, facts: NoticeFacts, recordUrl: string): NoticeText {
  const who = facts.who ?? 'A health professional';
  const link = `See your record: ${recordUrl}`;
  switch (kind) {
    case 'document-added':
      return { subject: 'New document in your health record', body: `A new document was added to your health record (DMP) on ${when(facts.at)}. ${link}` };
    case 'first-access':
      return { subject: 'A professional accessed your health record', body: `${who} accessed your health record (DMP) for the first time on ${when(facts.at)}. ${link}` };
    case 'samu-access':
      return { subject: 'Emergency access to your health record', body: `${who} accessed your health record (DMP) in an emergency (SAMU medical regulation) on ${when(facts.at)}. ${link}` };
    case 'break-glass':
      return {
        subject: 'Emergency access to your health record',
        body: `${who} accessed your health record (DMP) in an emergency (break-glass) on ${when(facts.at)}. Reason given: ${facts.reason ?? 'none'}. ${link}`,
      };
    case 'identity-corrected':
      return buildIdentityCorrectedNotice({ at: facts.at, who: facts.who ?? 'un professionnel habilité' }, recordUrl);
    case 'login-code':
      return { subject: 'Your sign-in code', body: `Your DMP sign-in code is ${facts.code}. It expires in ${facts.validMinutes ?? 10} minutes. Never share it.` };
  }
}

/** True for notices whose body is a secret: never logged, never shown back in Communication resources. */
export function isSecretNotice(kind: string): boolean {
  return kind === 'login-code';
}
