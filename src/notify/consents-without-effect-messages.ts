import type { NoticeText } from './messages';

/**
 * The one notice to a patient some of whose access choices, stored before attack sweep 8, have no effect
 * (`access/consent-rules.ts` `toldWithoutEffect`: a whole choice, an emergency refusal naming someone, or a provision of a shape
 * writes now refuse, read otherwise than written, or whose grant was removed: migration 172): what kind of choices, why
 * they matter, where to review them. Like every notice it names no professional and no document (an SMS or an e-mail is
 * not a safe place for them): the page it links to lists them under « Choix sans effet ».
 */
export function buildConsentsWithoutEffectNotice(accessPage: string): NoticeText {
  return {
    subject: 'Certains de vos choix d’accès à votre dossier médical sont sans effet',
    body:
      'Certains des choix que vous avez faits sur l’accès des professionnels de santé à votre dossier médical partagé (DMP) — ' +
      'l’ouverture du dossier, l’autorisation ou le blocage d’un professionnel, le masquage d’un document, le refus de l’accès ' +
      'en urgence visant un professionnel ou un document — ont été enregistrés sous une forme que le DMP ne sait pas appliquer : ' +
      'ils sont sans effet. Un refus de l’accès en urgence vaut pour tous les professionnels ; pour tenir un professionnel à ' +
      'l’écart de votre dossier, même en urgence, bloquez-le. D’autres, enregistrés sous une forme que le DMP refuse désormais, ' +
      's’appliquent autrement que vous ne l’aviez écrit (par exemple une période qui se termine avant de commencer, un blocage ' +
      'fait pour un usage particulier qui vaut pour tout usage). Ceux qui ouvraient votre dossier ou autorisaient un ' +
      'professionnel sous une forme que le DMP refuse n’ont plus d’effet : si votre dossier n’est pas ouvert par un autre ' +
      'choix, les professionnels ne peuvent plus le consulter, même en urgence. ' +
      'Vérifiez-les dans votre espace, à la rubrique ' +
      `« Choix sans effet », retirez-les puis refaites-les si vous le souhaitez : ${accessPage}`,
  };
}
