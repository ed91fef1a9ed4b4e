import { isOneEmailAddress } from '../validation/displayed-text';
import type { Parameters, Patient } from '@medplum/fhirtypes';
import { countCodesSince, newNumericCode, storeCode } from '../auth/account-codes';
import type { AccountNoticeSender } from '../auth/activation';
import type { RequestContext } from '../fhir/context';
import { credentialContactRule } from '../auth/credential-contacts';
import { badRequest, forbidden, outcomeOf, tooManyRequests, unprocessable } from '../fhir/errors';
import type { FhirRequest } from '../fhir/request';
import type { OperationDefinitionEntry } from '../fhir/service';
import { actorOf } from './access-hooks';
import { contactChannel } from './contact-points';
import { scopesAllow } from './scopes';
import { assertAccountToken } from './account-token';
import { ownsRecord } from './actor';
import type { StatementsOf } from '../store/scoped-repository';

/** A contact-change code lives 15 minutes and burns after 3 wrong guesses; 3 changes may be asked per hour. */
export const CONTACT_CODE_TTL_MS = 15 * 60_000;
export const CONTACT_MAX_CODE_ATTEMPTS = 3;
const CONTACT_REQUESTS_PER_HOUR = 3;

/** A Parameters value by name (`valueString`, `valueCode` …), or undefined. */
export function parameterValue(body: unknown, name: string): string | undefined {
  const params = body as Parameters | undefined;
  if (params?.resourceType !== 'Parameters') throw badRequest('The body must be a Parameters resource');
  const p = params.parameter?.find((x) => x.name === name) as Record<string, unknown> | undefined;
  const value = p && Object.entries(p).find(([k, v]) => k.startsWith('value') && typeof v === 'string')?.[1];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The contact in the form stored: a lower-case e-mail, or a mobile number in international form. */
export function normaliseContact(system: string, value: string): { system: 'email' | 'sms'; value: string } {
  if (system === 'email') {
    // One bare address (attack sweep 11): "moi@x.fr;autre@y.fr" passed, and nodemailer sent the code to both.
    if (value.length > 254 || !isOneEmailAddress(value)) throw unprocessable('Cette adresse e-mail n’est pas valide.');
    return { system, value: value.toLowerCase() };
  }
  if (system === 'sms') {
    const digits = value.replace(/[\s.()-]/g, '');
    const international = /^0[67]\d{8}$/.test(digits) ? `+33${digits.slice(1)}` : digits;
    if (!/^\+\d{8,15}$/.test(international)) throw unprocessable('Ce numéro de téléphone mobile n’est pas valide (par exemple 06 12 34 56 78 ou +33 6 12 34 56 78).');
    return { system, value: international };
  }
  throw badRequest('"system" must be email or sms');
}

/** The patient himself (or his guardian) with a token that may update his Patient, else 403: nobody else changes contacts. */
export function assertOwnRecord(ctx: RequestContext, patientId: string): void {
  const actor = actorOf(ctx);
  if (!ownsRecord(actor, patientId)) throw forbidden('Only the patient or a legal guardian may change the e-mail or mobile number of a record');
  if (!scopesAllow(actor.scopes, 'u', 'Patient')) throw forbidden('The token\'s scopes do not grant update on Patient');
  assertAccountToken(actor, 'change the e-mail or mobile number that receives the codes of the record');
}

/**
 * `POST Patient/{id}/$change-contact` (Parameters `system` email|sms, `value`): the patient asks to receive his codes
 * and notices at a new contact; a 6-digit code is sent there (kind `contact-confirmation`, 15 minutes), to be given
 * to `$confirm-contact`. Nothing changes until then.
 */
export function changeContactOperation(options: { send: AccountNoticeSender; clock?: () => Date; connection: StatementsOf }): OperationDefinitionEntry {
  const now = options.clock ?? (() => new Date());
  return {
    name: '$change-contact',
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    documentation: 'The patient changes the e-mail or mobile receiving his sign-in codes and notices: a code is sent to the new contact (Parameters system, value)',
    async handler(svc, ctx, req: FhirRequest, target) {
      const patientId = target.id as string;
      assertOwnRecord(ctx, patientId);
      const system = parameterValue(req.body, 'system');
      const value = parameterValue(req.body, 'value');
      if (!system || !value) throw badRequest('Parameters "system" (email or sms) and "value" are required');
      const contact = normaliseContact(system, value);
      const at = now();
      await svc.repo.transaction(async (repo) => {
        const patient = JSON.parse((await repo.read(ctx, 'Patient', patientId)).text as string) as Patient;
        // A contact already recorded is confirmed again only when codes that set the credentials may not go to it yet: a
        // young adult confirming, since his majority, the address he had as a minor (auth/credential-contacts.ts).
        const recorded = (patient.telecom ?? []).filter((t) => contactChannel(t) === contact.system && t.value?.trim() === contact.value);
        const usable = recorded.length ? await credentialContactRule(options.connection(repo), patientId, patient, at) : undefined;
        if (usable && recorded.some(usable)) {
          throw unprocessable('Ce contact est déjà enregistré dans votre dossier.');
        }
        if ((await countCodesSince(options.connection(repo), 'contact-change', { patientId }, new Date(at.getTime() - 3600_000))) >= CONTACT_REQUESTS_PER_HOUR) {
          throw tooManyRequests('Trop de demandes de changement de contact : réessayez dans une heure.');
        }
        const code = newNumericCode();
        // Asked by a guardian, the contact is the guardian's choice: no code setting or opening the holder's account goes
        // there until the holder confirms it himself (auth/credential-contacts.ts).
        const byGuardian = actorOf(ctx).kind === 'guardian';
        const id = await storeCode(options.connection(repo), { purpose: 'contact-change', patientId, contact, code, now: at, ttlMs: CONTACT_CODE_TTL_MS, byGuardian });
        await options.send(options.connection(repo), {
          kind: 'contact-confirmation',
          key: id,
          patientId,
          facts: { at, code, validMinutes: CONTACT_CODE_TTL_MS / 60_000 },
          to: [{ channel: contact.system, address: contact.value }],
          expiresAt: new Date(at.getTime() + CONTACT_CODE_TTL_MS),
        });
      });
      const outcome = outcomeOf('information', 'informational', `Un code de confirmation a été envoyé à ${contact.value}. Il expire dans 15 minutes : donnez-le à $confirm-contact.`);
      return { status: 200, json: JSON.stringify(outcome) };
    },
  };
}
