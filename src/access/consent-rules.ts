import type { Consent, ConsentProvision, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { IDNAT_PS_SYSTEM, RPPS_SYSTEM } from './actor';
import { parisPeriodBound, parisPeriodBoundAt } from './paris-calendar';

/** v3-ActReason purposes a patient may refuse in advance: break-glass and SAMU regulation. */
export const REFUSABLE_PURPOSES = ['BTG', 'ETREAT'] as const;
export type RefusablePurpose = (typeof REFUSABLE_PURPOSES)[number];

/**
 * One rule a Consent states, in the shape of the `access_consent` table:
 * - `open`: the patient agreed to open the record;
 * - `permit` / `deny`: a professional is authorised / blocked (optionally within a period);
 * - `mask`: a document is masked from professionals; with `actorKey`, from that professional only (a mask nested under a
 *   provision that names him: « Dr X authorised, except document d2 »);
 * - `refuse`: emergency access with this purpose is refused in advance.
 */
export type ConsentRule =
  | { kind: 'open' }
  | { kind: 'permit' | 'deny'; actorKey: string; periodStart?: string; periodEnd?: string }
  | { kind: 'mask'; docId: string; actorKey?: string }
  | { kind: 'refuse'; purpose: RefusablePurpose };

export const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/** The Patient id a Consent is about (`Consent.patient` = `Patient/<id>`), if it names one. */
export function consentPatientId(consent: Consent): string | undefined {
  const m = /^Patient\/([^/]+)$/.exec(consent.patient?.reference ?? '');
  return m?.[1];
}

/** Key of one `provision.actor[].reference`: `Practitioner/<id>` or `<system>|<value>`. */
export function actorReferenceKeys(ref: { reference?: string; identifier?: { system?: string; value?: string } } | undefined): string[] {
  if (!ref) return [];
  if (ref.reference) return [ref.reference.replace(/\/_history\/.*$/, '')];
  const { system, value } = ref.identifier ?? {};
  if (!system || !value) return [];
  const keys = [`${system}|${value}`];
  // An IdNat_PS of a professional with an RPPS (`8` + RPPS) is the same person as the bare RPPS.
  if (system === IDNAT_PS_SYSTEM && /^8\d{11}$/.test(value)) keys.push(`${RPPS_SYSTEM}|${value.slice(1)}`);
  if (system === RPPS_SYSTEM) keys.push(`${IDNAT_PS_SYSTEM}|8${value}`);
  return keys;
}

/**
 * Elements of a provision that would narrow what its rule covers (a kind of resource, a code, a label, the dates of the
 * data). The access tables read none of them: an authorisation covers the whole record but masked documents, a block
 * the whole record. Read as written, "Dr X for laboratory results only" gave Dr X every document (attack sweep 8).
 */
const UNREAD_NARROWINGS = ['class', 'code', 'securityLabel', 'dataPeriod'] as const;
const CONSENT_ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';
/** The one purpose an authorisation may state: care (v3-ActReason TREAT), what every authorisation is for. */
const CARE_PURPOSE = 'TREAT';

const CONSENT_SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const has = (cc: { coding?: { system?: string; code?: string }[] } | undefined, system: string, code: string): boolean =>
  (cc?.coding ?? []).some((c) => c.system === system && c.code === code);

const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

/**
 * What an active provision states that its rules would not enforce (fail closed: refused with 422 rather than read
 * wider than written). A withdrawn Consent is not checked, so a Consent stored before this rule can always be withdrawn.
 */
export function unenforced(p: ConsentProvision, actors: number): string | undefined {
  for (const key of UNREAD_NARROWINGS) {
    const value = p[key];
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
      return `provision.${key} is not supported: an authorisation or a block covers the whole record (a document is masked by naming it in provision.data)`;
    }
  }
  for (const action of p.action ?? []) {
    const codings = action.coding ?? [];
    if (codings.length === 0 || codings.some((c) => c.system !== CONSENT_ACTION || c.code !== 'access')) {
      return 'provision.action: only access (http://terminology.hl7.org/CodeSystem/consentaction) is supported';
    }
  }
  if (actors && p.type === 'permit' && (p.purpose ?? []).some((c) => (c.system !== undefined && c.system !== ACT_REASON) || c.code !== CARE_PURPOSE)) {
    return `provision.purpose: an authorisation is for care (${CARE_PURPOSE}); it cannot be limited to another purpose`;
  }
  if ((p.actor ?? []).some((a) => !has(a.role, PARTICIPATION, 'IRCP'))) return `provision.actor.role must be ${PARTICIPATION}|IRCP (the professional who may read, or who is blocked)`;
  if (p.period && !actors) return 'provision.period applies to an authorisation or a block of a professional only';
  // An end before its start: an authorisation or a block that never holds, while the patient was answered 201 (FHIR per-1).
  if (p.period?.start && p.period.end && !(parisPeriodBoundAt(p.period.start, 'start') <= parisPeriodBoundAt(p.period.end, 'end'))) return 'provision.period ends before it starts: it would never apply';
  if (p.period && p.provision?.length) return 'provision.provision: a provision with a period cannot hold others (state the period on each authorisation)';
  return undefined;
}

/** Why a provision's purposes are not read by any rule, and which one: refused at write (`provisionRules`). */
function unreadPurposeOf(p: ConsentProvision, type: 'permit' | 'deny', actors: number): { index: number; text: string } | undefined {
  for (const [index, c] of (p.purpose ?? []).entries()) {
    if ((c.system !== undefined && c.system !== ACT_REASON) || !c.code) return { index, text: `provision.purpose[${index}] must be a code of ${ACT_REASON} (BTG or ETREAT to refuse emergency access, TREAT on an authorisation)` };
    const read = type === 'permit' ? actors > 0 && c.code === CARE_PURPOSE : (REFUSABLE_PURPOSES as readonly string[]).includes(c.code);
    if (!read) return { index, text: `provision.purpose ${c.code}: only a deny of BTG or ETREAT (emergency access refused in advance) or TREAT on an authorisation is understood` };
  }
  return undefined;
}

/** `provision.data.meaning`s a mask reads: the document itself, with its Binary and what was extracted from it. */
export const MASK_MEANINGS: string[] = ['instance', 'related', 'dependents'];

const MASKED_DOCUMENT = /^DocumentReference\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const PRACTITIONER_REFERENCE = /^Practitioner\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * Whether a provision's actor names a professional in a form a token can match: a local `Practitioner/<id>`, or an
 * identifier under the IdNat_PS or RPPS system exactly as written by the authorities. Anything else (an absolute URL,
 * a PractitionerRole, a conditional or contained reference, an OID in capitals, a value with spaces) was stored as a
 * key no token carries: a block written so blocked nobody (attack sweep 8).
 */
function namesProfessional(ref: NonNullable<ConsentProvision['actor']>[number]['reference']): boolean {
  if (ref.type !== undefined && ref.type !== 'Practitioner') return false;
  if (ref.reference !== undefined) return ref.identifier === undefined && PRACTITIONER_REFERENCE.test(ref.reference);
  const { system, value = '' } = ref.identifier ?? {};
  if (system === IDNAT_PS_SYSTEM) return /^[0-9A-Za-z/]{1,64}$/.test(value);
  if (system === RPPS_SYSTEM) return /^8?\d{11}$/.test(value);
  return false;
}

/**
 * The professionals and documents a Consent in force names in a form no rule can match: `Consent.provision` paths of
 * actors and masked documents `namesProfessional` / `MASKED_DOCUMENT` refuse. Writes refuse them since attack sweep 8;
 * a Consent stored before with one still stands, blocking or masking nothing, and the portal tells the patient so
 * (`portal/pages/access.ts`, « Choix sans effet »). Empty for a withdrawn Consent or one every target of which is read.
 */
export function unreadableTargets(consent: Consent): string[] {
  if (consent.status !== 'active' || !consent.provision) return [];
  const found: string[] = [];
  const walk = (p: ConsentProvision, path: string): void => {
    for (const [i, a] of (p.actor ?? []).entries()) if (!a.reference || !namesProfessional(a.reference)) found.push(`${path}.actor[${i}]`);
    for (const [i, d] of (p.data ?? []).entries()) {
      if (!MASKED_DOCUMENT.test(d.reference?.reference ?? '') || (d.reference?.type !== undefined && d.reference.type !== 'DocumentReference')) found.push(`${path}.data[${i}]`);
    }
    for (const [i, nested] of (p.provision ?? []).entries()) walk(nested, `${path}.provision[${i}]`);
  };
  walk(consent.provision, 'Consent.provision');
  return found;
}

/**
 * Why a refusal of emergency access may not name anyone (`provisionRules`, `Enclosing.names`). Break-glass and SAMU regulation
 * are refused for the whole record and every professional, as the DMP offers it; a block of a professional already holds
 * in an emergency, and an authorised professional reads without one.
 */
export const NAMED_EMERGENCY_REFUSAL = 'a refusal of emergency access (BTG, ETREAT) concerns every professional and the whole record; it cannot name a professional or a document, in its provision or an enclosing one. To keep one professional out of the record even in an emergency, block him (a block holds in an emergency too)';

/** What the provisions enclosing one name: whether any names a professional or a document, and the nearest one's professionals. */
interface Enclosing {
  names: boolean;
  /** An enclosing provision names documents. */
  documents: boolean;
  /** Keys of the professionals named by the nearest enclosing provision that names professionals (none: empty). */
  actorKeys: string[];
}
const TOP: Enclosing = { names: false, documents: false, actorKeys: [] };

/**
 * The rules of one provision. A nested provision is an exception to the provision around it (FHIR R4 Consent.provision.
 * provision, IHE PCF), for the professionals that provision names: « Dr X authorised, except document d2 » masks d2
 * from Dr X, not from every professional (it was read as a mask for everyone: stricter than she wrote). Emergency
 * refusals under a provision naming professionals or documents were read as refusals for everyone (the actors ignored):
 * now refused at write (422); a stored one derives no refusal (migration 220), only the block or authorisation around
 * it, which already decides for the professional it names.
 */
function provisionRules(p: ConsentProvision, path: string, problems: OperationOutcomeIssue[], strict: boolean, above: Enclosing = TOP): ConsentRule[] {
  const type = p.type;
  const actors = p.actor ?? [];
  const data = p.data ?? [];
  const purposes = (p.purpose ?? []).filter((c) => !c.system || c.system === ACT_REASON).map((c) => c.code ?? '');
  const problem = (text: string, at = path): ConsentRule[] => {
    problems.push({ severity: 'error', code: 'business-rule', diagnostics: text, expression: [at] });
    return [];
  };
  if (type !== 'permit' && type !== 'deny') return problem('provision.type must be permit or deny');
  const notEnforced = strict ? unenforced(p, actors.length) : undefined;
  if (notEnforced) return problem(notEnforced);
  // A purpose the rules do not read (another code system, a spelling of its own, one a block cannot state) was dropped: a
  // deny of Dr X "for research" blocked him for everything, a permit "for research" naming nobody opened the whole
  // record. Refused at write; a Consent the server itself writes so grants nothing from this provision, while a block or
  // a mask still derives (wider than asked, never narrower).
  const unreadPurpose = strict ? unreadPurposeOf(p, type, actors.length) : undefined;
  if (unreadPurpose) {
    problems.push({ severity: 'error', code: 'business-rule', diagnostics: unreadPurpose.text, expression: [`${path}.purpose[${unreadPurpose.index}]`] });
    if (type === 'permit' || (actors.length === 0 && data.length === 0)) return [];
  }
  const rules: ConsentRule[] = [];
  if (actors.length === 0 && data.length === 0 && purposes.length === 0) {
    if (type === 'deny') return problem('a deny provision needs an actor, a data reference or a purpose');
    // Under a provision naming professionals or documents, a bare permit is an exception for them, not the patient's
    // agreement to open her record to every professional: it was read as an opening (deny Dr X { permit } opened it).
    if (strict && above.names) problem('a permit naming nobody opens the record; it cannot be nested under a provision that names professionals or documents (open the record with a Consent of its own)');
    else rules.push({ kind: 'open' });
  }
  if (actors.length && data.length) return problem('a provision names either professionals or documents, not both');
  // « d1 masked, except for Dr X » was read as an authorisation of Dr X on the whole record (and d1 masked from him too):
  // wider than she wrote. A document is shown to one professional by not masking it; refused.
  if (strict && type === 'permit' && actors.length && above.documents) return problem('an authorisation cannot be nested under the mask of a document: it would authorise the professional on the whole record (authorise him in a Consent of its own; the treating physician and the author always see a masked document)');
  const actorKeys: string[] = [];
  for (const [i, actor] of actors.entries()) {
    const keys = actorReferenceKeys(actor.reference);
    if (keys.length === 0 || (strict && !namesProfessional(actor.reference))) return problem(`provision.actor[${i}].reference needs Practitioner/{id} (a local reference) or an identifier under ${IDNAT_PS_SYSTEM} (IdNat_PS) or ${RPPS_SYSTEM} (RPPS), written exactly so`);
    actorKeys.push(...keys);
    for (const actorKey of keys) rules.push({ kind: type, actorKey, periodStart: parisPeriodBound(p.period?.start, 'start'), periodEnd: parisPeriodBound(p.period?.end, 'end') });
  }
  for (const [i, d] of data.entries()) {
    const m = /^DocumentReference\/([^/]+)/.exec(d.reference?.reference ?? '');
    if (type !== 'deny' || !m) return problem(`provision.data[${i}] must be a deny on DocumentReference/{id}`);
    // The id exactly as stored (a FHIR id): `DocumentReference/d1 ` or `…/d1?x` was kept as a key no document has, so the
    // mask hid nothing while the patient was answered 201 (attack sweep 8).
    if (strict && (!MASKED_DOCUMENT.test(d.reference?.reference ?? '') || (d.reference?.type !== undefined && d.reference.type !== 'DocumentReference'))) {
      return problem(`provision.data[${i}].reference must be DocumentReference/{id}, the document's id exactly (letters, digits, '-' and '.')`);
    }
    // `authoredby` means the resources the referenced one wrote, not the document: read as a mask of the document, the
    // patient's choice was ignored while she was answered 201. The other meanings cover the document and what it governs.
    if (strict && d.meaning !== undefined && !MASK_MEANINGS.includes(d.meaning)) {
      problem(`provision.data[${i}].meaning ${d.meaning}: a document is masked as an instance (with what it holds: related, dependents)`, `${path}.data[${i}].meaning`);
    }
    // Under a provision naming professionals, the mask is an exception for them only.
    if (above.actorKeys.length) for (const actorKey of above.actorKeys) rules.push({ kind: 'mask', docId: m[1], actorKey });
    else rules.push({ kind: 'mask', docId: m[1] });
  }
  const names = above.names || actors.length > 0 || data.length > 0;
  for (const code of purposes) {
    if (type !== 'deny' || !(REFUSABLE_PURPOSES as readonly string[]).includes(code)) {
      if (actors.length === 0 && data.length === 0) return problem(`provision.purpose ${code}: only a deny of BTG or ETREAT is understood`);
      continue;
    }
    if (names) {
      // The block or authorisation beside it still derives (a stored Consent re-derived keeps them); a write is refused.
      if (strict) problems.push({ severity: 'error', code: 'business-rule', diagnostics: `provision.purpose ${code}: ${NAMED_EMERGENCY_REFUSAL}`, expression: [path] });
      continue;
    }
    rules.push({ kind: 'refuse', purpose: code as RefusablePurpose });
  }
  const enclosing: Enclosing = { names, documents: above.documents || data.length > 0, actorKeys: actorKeys.length ? actorKeys : above.actorKeys };
  for (const [i, nested] of (p.provision ?? []).entries()) rules.push(...provisionRules(nested, `${path}.provision[${i}]`, problems, strict, enclosing));
  return rules;
}

/**
 * Why a Consent in force is not a DMP privacy consent (scope patient-privacy, category LOINC 59284-0, policy OPTIN when
 * stated), if it is not. Its provisions were read as DMP rules whatever the Consent was about: a research consent
 * (scope `research`) permitting a researcher authorised him on the whole record (attack sweep 8).
 */
export function notPrivacyConsent(consent: Consent): { path: string; text: string } | undefined {
  if (!has(consent.scope, CONSENT_SCOPE, 'patient-privacy')) return { path: 'Consent.scope', text: `Consent.scope must be ${CONSENT_SCOPE}|patient-privacy: the DMP reads privacy consents only` };
  if (!(consent.category ?? []).some((c) => has(c, 'http://loinc.org', '59284-0'))) return { path: 'Consent.category', text: 'Consent.category must include http://loinc.org|59284-0 (patient consent)' };
  if (consent.policyRule && !has(consent.policyRule, ACT_CODE, 'OPTIN')) return { path: 'Consent.policyRule', text: `Consent.policyRule must be ${ACT_CODE}|OPTIN: the DMP is opt-in` };
  return undefined;
}

/**
 * Reads the rules a Consent states (IHE PCF coding fixed by issue 4). An inactive (withdrawn), draft or
 * rejected Consent states none. `problems` lists what we cannot understand (422 at write time).
 */
export function parseConsent(consent: Consent, options: { lenient?: boolean } = {}): { rules: ConsentRule[]; problems: OperationOutcomeIssue[] } {
  const problems: OperationOutcomeIssue[] = [];
  if (!consentPatientId(consent)) problems.push({ severity: 'error', code: 'required', diagnostics: 'Consent.patient must reference Patient/{id}', expression: ['Consent.patient'] });
  if (!consent.provision) {
    problems.push({ severity: 'error', code: 'required', diagnostics: 'Consent.provision is required', expression: ['Consent.provision'] });
    return { rules: [], problems };
  }
  // Strict for what is in force; `lenient` (statesOpening) reads what a stored version stated, whatever it carried.
  const strict = consent.status === 'active' && !options.lenient;
  const notPrivacy = strict ? notPrivacyConsent(consent) : undefined;
  if (notPrivacy) {
    problems.push({ severity: 'error', code: 'business-rule', diagnostics: notPrivacy.text, expression: [notPrivacy.path] });
    return { rules: [], problems };
  }
  const rules = provisionRules(consent.provision, 'Consent.provision', problems, strict);
  return { rules: consent.status === 'active' ? rules : [], problems };
}

/**
 * A Consent of the patient in the coding these rules read (IHE PCF, fixed by issue 4): privacy scope, LOINC 59284-0,
 * OPTIN policy. Every writer of a patient's Consent (the portal, the parent channel) builds it here.
 */
export function patientConsent(patientId: string, provision: ConsentProvision, dateTime?: string): Consent {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` },
    ...(dateTime ? { dateTime } : {}),
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision,
  };
}

/** True when the Consent's top-level provision is a bare permit: the opening consent. */
export function isOpeningConsent(consent: Consent): boolean {
  const p = consent.provision;
  return !!p && p.type === 'permit' && !p.actor?.length && !p.data?.length && !p.purpose?.length && !p.provision?.length;
}

/**
 * True when a version of a Consent opens the record, in whatever form the access tables read as an opening: a bare
 * permit at the top (`isOpeningConsent`), or anywhere among its provisions (a permit that also authorises a
 * professional in a nested provision, a purpose of another code system, which the rules ignore), whatever its status.
 * `wasEverOpened` asks this of every version: had it asked only `isOpeningConsent`, a record the patient opened with
 * one of the other forms and then withdrew would look never opened, and any professional could re-open it.
 */
export function statesOpening(consent: Consent): boolean {
  return isOpeningConsent(consent) || parseConsent({ ...consent, status: 'active' }, { lenient: true }).rules.some((rule) => rule.kind === 'open');
}
