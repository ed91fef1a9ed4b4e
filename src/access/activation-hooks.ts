import type { Hooks } from '../fhir/context';
import { issueActivationCode, type AccountNoticeSender } from '../auth/activation';
import { isAssuranceMaladie, type DmpActor } from './actor';
import { ACTOR_STATE, SYSTEM_STATE } from './access-hooks';
import { StateKey } from '../fhir/request-state';
import { MINOR_OPENING_STATE } from './minor-opening-proof';

/** Response header carrying the activation code to a professional or Assurance Maladie creator (to print it). */
export const ACTIVATION_CODE_HEADER = 'X-Activation-Code';

const CODES_STATE = new StateKey<Map<string, string>>('access.activationCodes');

/**
 * Who issued an account code, as the holder's trail names him (`account_code.issued_by`): the professional by his
 * national identifier and directory entry, a system by its client and category, a patient or guardian by his record.
 */
export function codeIssuer(actor: DmpActor): string {
  const entry = actor.keys.find((k) => k.startsWith('Practitioner/'));
  if (actor.kind === 'practitioner') return `practitioner ${actor.id}${entry ? ` (${entry})` : ''}`;
  if (actor.kind === 'system') return `system ${actor.id} (${actor.category ?? 'feeder'})`;
  return `${actor.kind} ${actor.id}`;
}

/** Creators who hand the patient his code on paper: professionals (pharmacists included) and the Assurance Maladie. */
function printsCode(actor: DmpActor | undefined): boolean {
  return !!actor && (actor.kind === 'practitioner' || isAssuranceMaladie(actor));
}

/**
 * Issue 12, activation credentials: every Patient created by an actor (but a parent opening his child's record) gets a one-time activation code in the
 * creating transaction, sent to the record's e-mail or mobile if it has one; when the creator is a professional or
 * the Assurance Maladie, the code is also answered once, in the `X-Activation-Code` header of the 201 of a plain
 * create (never to anyone else, never on a later read). The server's own imports issue none.
 */
export function createActivationHooks(options: { send: AccountNoticeSender; clock?: () => Date }): Hooks {
  const now = options.clock ?? (() => new Date());
  return {
    async afterWrite(tx, ctx, event) {
      if (event.resourceType !== 'Patient' || event.interaction !== 'create' || ctx.state.get(SYSTEM_STATE) === true) return;
      const actor = ctx.state.get(ACTOR_STATE);
      if (!actor) return;
      // A parent opening his child's record typed the child's contacts himself: a code sent there could be his own
      // second address, and the child's credential would let him read what is hidden from guardians
      // (INVISIBLE_REPRESENTANTS_LEGAUX). The child gets his code in person (`$issue-activation` at a counter).
      if (ctx.state.get(MINOR_OPENING_STATE) === true) return;
      const { code } = await issueActivationCode(tx, { patientId: event.id, now: now(), send: options.send, issuedBy: codeIssuer(actor) });
      if (printsCode(actor)) ctx.state.getOrSet(CODES_STATE, () => new Map<string, string>()).set(event.id, code);
    },

    async interceptRequest(_svc, ctx, req, next) {
      const response = await next(req);
      const codes = ctx.state.get(CODES_STATE);
      if (!codes?.size) return response;
      // Answered once, with the 201 of the create that issued it; a Bundle entry's headers are not answered (the code
      // then travels by e-mail or SMS only).
      const id = /\/Patient\/([^/]+)\/_history\//.exec(response.headers?.Location ?? '')?.[1];
      const code = response.status === 201 && id ? codes.get(id) : undefined;
      codes.clear();
      if (!code) return response;
      return { ...response, headers: { ...response.headers, [ACTIVATION_CODE_HEADER]: code, 'Cache-Control': 'no-store' } };
    },
  };
}
