import type { Statements } from '../store/db';
import { buildAccountNotice, type AccountNoticeKind, type NoticeFacts } from './messages';
import { insertOutbox, loadPatients } from './outbox';
import { resolveRecipients, type Recipient } from './recipients';

/** A notice of an account procedure (activation, password reset, contact change). */
export interface AccountNoticeRequest {
  kind: AccountNoticeKind;
  /** Unique per cause (e.g. the code id): re-queuing the same cause sends nothing new. */
  key: string;
  patientId: string;
  facts: NoticeFacts;
  /** Explicit destinations (a new contact to confirm, the old contact told of a change); default: the patient's. */
  to?: Recipient[];
  /** A notice carrying a code expires with it: delivered late, it is marked expired instead. */
  expiresAt?: Date;
}

/**
 * Queues an account notice in the caller's transaction. Without explicit destinations it goes where sign-in codes
 * go (the preferred contact, even when notices are turned off: these are security notices). Returns false when
 * there is nowhere to send it.
 */
export async function queueAccountNotice(tx: Statements, request: AccountNoticeRequest): Promise<boolean> {
  const now = request.facts.at;
  const to = request.to ?? resolveRecipients((await loadPatients(tx, [request.patientId])).get(request.patientId), { now, loginCode: true });
  if (to.length === 0) return false;
  const text = buildAccountNotice(request.kind, request.facts);
  await insertOutbox(
    tx,
    to.map((r) => ({
      key: `${request.kind}:${request.key}:${r.channel}:${r.address}`,
      kind: request.kind,
      patientId: request.patientId,
      channel: r.channel,
      recipient: r.address,
      text,
      createdAt: now,
      expiresAt: request.expiresAt,
      status: 'pending' as const,
    })),
  );
  return true;
}
