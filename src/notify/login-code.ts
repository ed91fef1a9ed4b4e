import type { Statements } from '../store/db';
import { buildNotice } from './messages';
import { insertOutbox, loadPatients } from './outbox';
import { resolveRecipients } from './recipients';

export interface LoginCodeRequest {
  /** Unique per code sent (e.g. the login attempt id): re-queuing the same attempt sends nothing new. */
  attemptId: string;
  patientId: string;
  code: string;
  now: Date;
  validMinutes: number;
  /** Explicit destination; default = the patient's preferred contact. */
  to?: { channel: 'email' | 'sms'; address: string };
}

/**
 * Queues a one-time login code in the caller's transaction. It expires with the code, so a delivery that
 * comes too late is marked 'expired' instead of being sent. Returns false when there is nowhere to send it.
 */
export async function queueLoginCode(tx: Statements, request: LoginCodeRequest): Promise<boolean> {
  const patient = (await loadPatients(tx, [request.patientId])).get(request.patientId);
  const to = request.to ?? resolveRecipients(patient, { now: request.now, loginCode: true })[0];
  if (!to) return false;
  const text = buildNotice('login-code', { at: request.now, code: request.code, validMinutes: request.validMinutes }, '');
  await insertOutbox(tx, [
    {
      key: `login-code:${request.attemptId}:${to.channel}`,
      kind: 'login-code',
      patientId: request.patientId,
      channel: to.channel,
      recipient: to.address,
      text,
      createdAt: request.now,
      expiresAt: new Date(request.now.getTime() + request.validMinutes * 60_000),
      status: 'pending',
    },
  ]);
  return true;
}
