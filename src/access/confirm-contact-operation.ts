import type { ContactPoint, Patient } from '@medplum/fhirtypes';
import { checkCode, lockCurrentCode, markEnteredByGuardian } from '../auth/account-codes';
import type { AccountEventListener } from '../auth/account-routes';
import type { AccountNoticeSender } from '../auth/activation';
import type { RequestContext } from '../fhir/context';
import { badRequest, FhirError, tooManyRequests } from '../fhir/errors';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { storedResponse, type OperationDefinitionEntry } from '../fhir/service';
import { resolveRecipients, type Recipient } from '../notify/recipients';
import { actorOf } from './access-hooks';
import { assertOwnRecord, CONTACT_MAX_CODE_ATTEMPTS, parameterValue } from './change-contact-operation';
import { CONFIRMED_CONTACT_STATE, contactChannel } from './contact-points';
import type { StatementsOf } from '../store/scoped-repository';

/** The telecom with the new contact in place of those of its channel (keeping the rank of the one it replaces). */
function withContact(telecom: ContactPoint[], channel: 'email' | 'sms', value: string): ContactPoint[] {
  const replaced = telecom.filter((t) => contactChannel(t) === channel);
  const kept = telecom.filter((t) => contactChannel(t) !== channel);
  const rank = replaced.map((t) => t.rank).find((r) => r !== undefined);
  const added: ContactPoint = channel === 'email' ? { system: 'email', value } : { system: 'phone', use: 'mobile', value };
  return [...kept, rank === undefined ? added : { ...added, rank }];
}

/** Who is told of the change: the replaced contacts of that channel, else where notices went before. */
function previousContacts(previous: Patient, channel: 'email' | 'sms', now: Date, newValue: string): Recipient[] {
  const replaced = (previous.telecom ?? []).filter((t) => contactChannel(t) === channel && t.value?.trim()).map((t) => ({ channel, address: (t.value as string).trim() }));
  const to = replaced.length ? replaced : resolveRecipients(previous, { now, loginCode: true });
  return to.filter((r) => r.address !== newValue);
}

/**
 * `POST Patient/{id}/$confirm-contact` (Parameters `code`): applies the contact asked by `$change-contact` once its
 * code is given (single use, 15 minutes, 3 wrong guesses burn it): the server writes the new Patient version, tells
 * the old contact (kind `contact-changed`) and the audit trail. Answers the new Patient.
 */
export function confirmContactOperation(options: { send: AccountNoticeSender; clock?: () => Date; onEvent?: AccountEventListener; connection: StatementsOf }): OperationDefinitionEntry {
  const now = options.clock ?? (() => new Date());
  const apply = async (svc: Parameters<OperationDefinitionEntry['handler']>[0], ctx: RequestContext, req: FhirRequest, patientId: string): Promise<FhirResponse> => {
    const code = parameterValue(req.body, 'code');
    if (!code) throw badRequest('Parameter "code" is required');
    const at = now();
    const outcome = await svc.repo.transaction(async (repo): Promise<FhirResponse | { failure: FhirError }> => {
      // 404 when hidden, before anything is counted.
      const current = await repo.read(ctx, 'Patient', patientId);
      const previous = JSON.parse(current.text as string) as Patient;
      const row = await lockCurrentCode(options.connection(repo), 'contact-change', { patientId });
      const check = row ? await checkCode(options.connection(repo), row, code, { now: at, maxAttempts: CONTACT_MAX_CODE_ATTEMPTS }) : 'wrong';
      if (check === 'burnt') return { failure: tooManyRequests('Trop de codes erronés : demandez un nouveau code avec $change-contact.') };
      if (!row || check !== 'ok') return { failure: badRequest('Le code de confirmation est incorrect, expiré ou déjà utilisé.') };
      // Entered by a guardian: he reads that address, whoever asked (auth/credential-contacts.ts).
      if (actorOf(ctx).kind === 'guardian') await markEnteredByGuardian(options.connection(repo), row.id);
      const channel = row.contact_system as 'email' | 'sms';
      const value = row.contact_value as string;
      const next: Patient = { ...previous, telecom: withContact(previous.telecom ?? [], channel, value) };
      delete next.meta;
      svc.validate(next);
      // The one write allowed to change a contact: marked for this Patient on a copy of the request's context.
      const state = ctx.state.copy();
      state.set(CONFIRMED_CONTACT_STATE, patientId);
      const serverCtx: RequestContext = { ...ctx, state };
      // If-Match: a Patient changed meanwhile is not overwritten with this older copy (412, the code not burnt).
      const { stored } = await repo.update(serverCtx, next, { ifMatch: current.versionId });
      const to = previousContacts(previous, channel, at, value);
      if (to.length) await options.send(options.connection(repo), { kind: 'contact-changed', key: row.id, patientId, facts: { at, contact: channel }, to });
      return storedResponse(200, req.baseUrl, stored);
    });
    if ('failure' in outcome) throw outcome.failure;
    return outcome;
  };
  return {
    name: '$confirm-contact',
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    // Declared so that the pipeline grants this one write (closed by default: write-grants.ts).
    writes: [{ resourceType: 'Patient', writes: ['update'] }],
    documentation: 'Applies the contact asked by $change-contact, given the code sent to it (Parameters code); the old contact is told',
    async handler(svc, ctx, req, target) {
      const patientId = target.id as string;
      assertOwnRecord(ctx, patientId);
      try {
        const response = await apply(svc, ctx, req, patientId);
        await options.onEvent?.(ctx, { patientId, event: 'contact-change', success: true });
        return response;
      } catch (err) {
        await options.onEvent?.(ctx, { patientId, event: 'contact-change', success: false, reason: err instanceof FhirError ? err.message : 'contact change failed' });
        throw err;
      }
    },
  };
}
