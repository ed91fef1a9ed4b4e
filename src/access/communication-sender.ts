import type { Communication } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import type { DmpActor } from './actor';
import { actorReferenceKeys } from './consent-rules';

/**
 * A Communication a token writes names its writer as sender, or no sender (attack sweep 4): a professional wrote
 * `sender: Patient/p1`, and the patient's record showed a message from the patient he never sent. The sender must be
 * one of the writer's own keys (his directory entries and national identifiers, the patient's or the guardian's own
 * resource); the server's notices are written by the server and not checked here. 422 naming the element.
 */
export function assertSenderIsWriter(actor: DmpActor, event: WriteEvent): void {
  if (event.resourceType !== 'Communication' || event.interaction === 'delete') return;
  const sender = (event.resource as Communication | undefined)?.sender;
  if (!sender) return;
  const own = new Set(actor.keys);
  // Named as consents name their actors (`Type/id`, or `system|value` in either RPPS spelling).
  if (actorReferenceKeys(sender).some((k) => own.has(k))) return;
  const text = 'Communication.sender must name the writer (or be left out): a message is sent by whoever writes it';
  throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: ['Communication.sender'] }]);
}
