import type { RelatedPerson } from '@medplum/fhirtypes';
import { describeActor } from '../audit/audit-actor';
import type { Hooks, RequestContext } from '../fhir/context';
import { StateKey } from '../fhir/request-state';
import { describeProfessional } from '../notify/audit-notifier';
import { buildRecordCreatedNotice } from '../notify/record-created-messages';
import { queueNotices, type Notice } from '../notify/outbox';
import { ACTOR_STATE, SYSTEM_STATE } from './access-hooks';
import { isGuardianRelationship } from './access-tables';
import { isAssuranceMaladie, type DmpActor } from './actor';
import { MINOR_OPENING_STATE } from './minor-opening-proof';

/** Records created in this request and their notice, so that a guardian linked in the same request is told too. */
const CREATED_STATE = new StateKey<Map<string, Notice>>('access.recordCreatedNotices');

/** The creator in words, French, for the patient. */
function creatorInWords(ctx: RequestContext, actor: DmpActor): string {
  if (actor.kind === 'patient') return 'vous-même, en ligne';
  if (actor.kind === 'guardian') return 'votre représentant légal';
  const agent = describeActor(ctx);
  const office = agent?.organization?.display;
  if (isAssuranceMaladie(actor)) return `l’Assurance Maladie${office ? ` (${office})` : ''}`;
  if (actor.kind === 'practitioner' && agent) return describeProfessional(agent);
  return `le service ${agent?.display ?? actor.id}`;
}

/**
 * Issue 12, a notice for each identity event: a Patient created by an actor (online by the patient, by a pharmacist or
 * professional, by the Assurance Maladie) is told, in the creating transaction, to the record's contact and to the
 * guardians of a minor — those linked in the same request included (a professional opening a minor's record creates
 * the Patient, then the RelatedPerson). The parent channel (`$open-minor-record`) has its own notice saying the same
 * (`minor-record-opened`); the server's own imports send none.
 */
export function createRecordCreatedNoticeHooks(options: { recordUrl: string; clock?: () => Date }): Hooks {
  const now = options.clock ?? (() => new Date());
  return {
    async afterWrite(tx, ctx, event) {
      if (event.interaction !== 'create' || ctx.state.get(SYSTEM_STATE) === true) return;
      const actor = ctx.state.get(ACTOR_STATE);
      if (!actor) return;
      if (event.resourceType === 'Patient') {
        if (ctx.state.get(MINOR_OPENING_STATE) === true) return;
        const at = now();
        const text = buildRecordCreatedNotice({ at, who: creatorInWords(ctx, actor) }, options.recordUrl);
        const notice: Notice = { key: `record-created:${event.id}`, kind: 'record-created', patientId: event.id, text, createdAt: at };
        ctx.state.getOrSet(CREATED_STATE, () => new Map()).set(event.id, notice);
        await queueNotices(tx, [notice]);
        return;
      }
      if (event.resourceType !== 'RelatedPerson' || !isGuardianRelationship(event.resource as RelatedPerson)) return;
      const patientId = /^Patient\/([^/]+)$/.exec((event.resource as RelatedPerson).patient?.reference ?? '')?.[1];
      const notice = patientId ? ctx.state.get(CREATED_STATE)?.get(patientId) : undefined;
      // Queued again under the same key: the rows already queued stay as they are, the new guardian's is added.
      if (notice) await queueNotices(tx, [notice]);
    },
  };
}
