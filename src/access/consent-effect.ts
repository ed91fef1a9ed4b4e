import type { Consent, ConsentProvision } from '@medplum/fhirtypes';
import {
  ACT_REASON, MASK_MEANINGS, notPrivacyConsent, parseConsent, REFUSABLE_PURPOSES, unenforced, unreadableTargets, type RefusablePurpose,
} from './consent-rules';
import { parisPeriodBoundAt } from './paris-calendar';

// What of a stored Consent in force the access tables do not apply as its patient wrote it: choices stored before writes
// refused their shape (attack sweeps 8 and 10), whose rules were derived then and are kept. The portal lists them under
// « Choix sans effet » and their patient is told once (`consents-without-effect-notice.ts`). The rules a Consent states,
// and what writes refuse, are `consent-rules.ts`.

/**
 * The emergency refusals a Consent in force states in a provision naming professionals or documents, or under one
 * (« Dr X authorised, but not in break-glass »), that it does not also state naming nobody: stored before writes refused
 * them (422), they were read as refusals for everyone until migration 220 removed them, so they refuse nothing now. What
 * she wrote of the professional still holds through his block or authorisation. The portal lists them as without effect
 * and the patient is told once (`consents-without-effect-notice.ts`). `names`: the provision that names someone.
 */
export function emergencyRefusalsWithoutEffect(consent: Consent): { purpose: RefusablePurpose; path: string; names: ConsentProvision }[] {
  if (consent.status !== 'active' || !consent.provision) return [];
  const named: { purpose: RefusablePurpose; path: string; names: ConsentProvision }[] = [];
  const forEveryone = new Set<string>();
  const walk = (p: ConsentProvision, path: string, namer: ConsentProvision | undefined): void => {
    const here = (p.actor ?? []).length || (p.data ?? []).length ? p : namer;
    if (p.type === 'deny') {
      for (const c of p.purpose ?? []) {
        if ((c.system && c.system !== ACT_REASON) || !(REFUSABLE_PURPOSES as readonly string[]).includes(c.code ?? '')) continue;
        if (here) named.push({ purpose: c.code as RefusablePurpose, path, names: here });
        else forEveryone.add(c.code as string);
      }
    }
    for (const [i, nested] of (p.provision ?? []).entries()) walk(nested, `${path}.provision[${i}]`, here);
  };
  walk(consent.provision, 'Consent.provision', undefined);
  return named.filter((r) => !forEveryone.has(r.purpose));
}

/**
 * Whether a Consent in force carries what grants nothing when its rules are derived, as migration 215 reads it: a
 * narrowing in any provision (`unenforced`), or a consent of another kind than the DMP's privacy consent.
 */
function isNarrowed(consent: Consent): boolean {
  if (notPrivacyConsent(consent)) return true;
  const walk = (p: ConsentProvision): boolean => unenforced(p, (p.actor ?? []).length) !== undefined || (p.provision ?? []).some(walk);
  return !!consent.provision && walk(consent.provision);
}

/**
 * True when a Consent in force states a choice the access tables do not apply, as stored before attack sweep 8 (writes
 * refuse them since): it names a professional or a document in a form no rule matches (`unreadableTargets`), or it opens
 * the record or authorises a professional while carrying a narrowing or being another kind of consent (its grants were
 * removed by migration 215). Blocks, masks and refusals a narrowing accompanies still apply (wider than asked, never
 * narrower), so they alone do not count. The portal lists these under « Choix sans effet », and their patient is told
 * once (`consents-without-effect-notice.ts`).
 */
export function hasChoiceWithoutEffect(consent: Consent): boolean {
  if (consent.status !== 'active' || !consent.provision) return false;
  if (unreadableTargets(consent).length > 0) return true;
  return isNarrowed(consent) && parseConsent(consent, { lenient: true }).rules.some((rule) => rule.kind === 'open' || rule.kind === 'permit');
}

/** What a patient whose record an opening of a refused shape no longer opens can do, in French. */
const NOT_OPENED = 'Si votre dossier n’est pas ouvert par un autre choix, les professionnels ne peuvent pas le consulter, même en urgence : pour l’ouvrir, donnez votre accord d’ouverture sans autre précision. Retirez ce choix.';

/** A provision of a Consent in force, stored before writes refused its shape, and how it is read now, in French. */
export interface ProvisionReadOtherwise {
  path: string;
  /** How the stored provision is read now and what the patient can do, for the portal's « Choix sans effet ». */
  text: string;
}

/**
 * The provisions of a Consent in force whose shape writes refuse since attack sweep 10 (422, `unenforced`,
 * `unreadPurposeOf`, nested permits) but that were stored before, and how they are read now (see src/access/README.md,
 * « Consents without effect » and « Refused shapes grant nothing »). What they restrict was kept as derived then: a period
 * ending before it starts (the block never holds), a block or mask « for » a purpose (a block or mask for everything), a
 * mask « authoredby » (a mask of the document itself). What they granted was removed (migration 172, closed by default):
 * a bare permit nested under a provision naming someone, and an opening with a purpose of another code system, no longer
 * open the record; an authorisation nested under the mask of a document no longer authorises its professional on the
 * whole record. Her patient is told and the portal lists each one.
 */
export function provisionsReadOtherwise(consent: Consent): ProvisionReadOtherwise[] {
  if (consent.status !== 'active' || !consent.provision) return [];
  const found: ProvisionReadOtherwise[] = [];
  const walk = (p: ConsentProvision, path: string, enclosingNames: boolean, enclosingDocuments: boolean): void => {
    const actors = (p.actor ?? []).length;
    const data = (p.data ?? []).length;
    const names = enclosingNames || actors > 0 || data > 0;
    const what = p.type === 'deny' ? (data ? 'Ce masquage' : 'Ce blocage') : 'Cette autorisation';
    if (actors && p.period?.start && p.period.end && !(parisPeriodBoundAt(p.period.start, 'start') <= parisPeriodBoundAt(p.period.end, 'end'))) {
      found.push({ path, text: `${what} a une période qui se termine avant de commencer : ${p.type === 'deny' ? 'il' : 'elle'} ne s’applique jamais. Retirez ce choix et refaites-le avec des dates dans le bon ordre (ou sans date).` });
    }
    const purposes = p.purpose ?? [];
    if (!actors && !data && !purposes.length && p.type === 'permit' && enclosingNames) {
      found.push({ path, text: `Une autorisation ne visant personne, placée sous le choix d’un professionnel ou d’un document, a été lue un temps comme l’ouverture de votre dossier : elle est désormais sans effet et n’ouvre pas votre dossier. ${NOT_OPENED}` });
    }
    if (actors && p.type === 'permit' && enclosingDocuments) {
      found.push({ path, text: 'Cette autorisation, placée sous le masquage d’un document, a été lue un temps comme l’autorisation du professionnel sur tout votre dossier : elle est désormais sans effet, et le document reste masqué pour tous les professionnels. Pour autoriser ce professionnel, faites-le par un choix à part, puis retirez celui-ci.' });
    }
    if (p.type === 'deny' && (actors || data) && purposes.some((c) => (c.system !== undefined && c.system !== ACT_REASON) || !(REFUSABLE_PURPOSES as readonly string[]).includes(c.code ?? ''))) {
      found.push({ path, text: `${what} a été fait pour un usage particulier, que le DMP ne lit pas : ${data ? 'le document est masqué' : 'le professionnel est bloqué'} pour tout usage, y compris pour vous soigner. Si ${data ? 'ce document doit rester visible pour vous soigner' : 'ce professionnel doit pouvoir vous soigner'}, retirez ce choix.` });
    }
    if (p.type === 'deny' && (p.data ?? []).some((d) => d.meaning !== undefined && !MASK_MEANINGS.includes(d.meaning))) {
      found.push({ path, text: 'Ce masquage visait ce qu’a rédigé l’auteur d’un document (« authoredby »), ce que le DMP ne lit pas : c’est le document lui-même qui est masqué aux professionnels. Si ce n’est pas ce que vous vouliez, retirez ce choix.' });
    }
    if (p.type === 'permit' && !actors && !data && purposes.some((c) => c.system !== undefined && c.system !== ACT_REASON)) {
      found.push({ path, text: `L’ouverture de votre dossier a été faite pour un usage particulier, que le DMP ne lit pas : lue un temps comme une ouverture pour vous soigner, elle est désormais sans effet. ${NOT_OPENED}` });
    }
    for (const [i, nested] of (p.provision ?? []).entries()) walk(nested, `${path}.provision[${i}]`, names, enclosingDocuments || data > 0);
  };
  walk(consent.provision, 'Consent.provision', false, false);
  return found;
}

/**
 * True when a Consent in force states something the access tables do not apply as she wrote it: a whole choice without
 * effect (`hasChoiceWithoutEffect`), an emergency refusal naming someone (`emergencyRefusalsWithoutEffect`) or a provision
 * of a shape writes now refuse (`provisionsReadOtherwise`). Its patient is told once (`consents-without-effect-notice.ts`).
 */
export function toldWithoutEffect(consent: Consent): boolean {
  return hasChoiceWithoutEffect(consent) || emergencyRefusalsWithoutEffect(consent).length > 0 || provisionsReadOtherwise(consent).length > 0;
}
