import os from 'node:os';
import { CLIENT_ID_SYSTEM } from '../audit/audit-actor';
import { OUTCOME } from '../audit/audit-codes';
import type { AuditEventInput, AuditSource } from '../audit/audit-event-builder';
import { AuditWriter } from '../audit/audit-writer';
import { frenchDay } from '../notify/majority-messages';
import type { Statements } from '../store/db';

/** What one hand-over did, as the trail records it (no health data: dates, counts and RelatedPerson ids). */
export interface HandoverFacts {
  patientId: string;
  majorityOn: string;
  guardians: string[];
  revoked: number;
  codeSent: boolean;
}

/** Records a hand-over in the young adult's trail, inside the hand-over's transaction. */
export type HandoverAudit = (tx: Statements, facts: HandoverFacts, now: Date) => Promise<void>;

/** The job, as the trail names it: the server acting on its own, not a person and not a token. */
const SERVER_JOB = Object.freeze({ kind: 'server', display: 'Serveur DMP (passage à la majorité)', identifiers: [{ system: CLIENT_ID_SYSTEM, value: 'server:majority-handover' }] });

/** The event of one hand-over: type "Security Alert", subtype "User Security Attributes Changed" + `majority-handover`. */
export function handoverAuditInput(facts: HandoverFacts, now: Date, source: AuditSource): AuditEventInput {
  const summary =
    `Majorité atteinte le ${frenchDay(facts.majorityOn)} : l’accès des représentants légaux au dossier a pris fin` +
    `${facts.revoked ? ` ; identifiants de connexion enregistrés avant la majorité supprimés : ${facts.revoked}` : ''}` +
    (facts.codeSent ? ' ; un nouveau code d’activation a été envoyé à votre adresse.' : ' ; un nouveau code d’activation est à retirer à un guichet de l’Assurance Maladie.');
  return {
    recorded: now,
    category: 'account',
    operation: 'majority-handover',
    action: 'U',
    outcome: OUTCOME.success,
    agent: SERVER_JOB,
    source,
    patientId: facts.patientId,
    resources: facts.guardians.map((id) => `RelatedPerson/${id}`),
    patientDetails: [
      { type: 'majority-on', valueString: facts.majorityOn },
      { type: 'guardian-access-ended', valueString: facts.guardians.map((id) => `RelatedPerson/${id}`).join(' ') },
      { type: 'credentials-revoked', valueString: String(facts.revoked) },
      { type: 'activation-code', valueString: facts.codeSent ? 'sent' : 'counter' },
      { type: 'summary', valueString: summary },
    ],
  };
}

/**
 * The hand-over's audit, chained like every event of the patient's trail (with the server's chain secret, so
 * `AuditEvent/$verify` holds). Its own writer: the job runs outside any request (timer, CLI); the writer locks the
 * chain head in the job's transaction, so it interleaves safely with the request path's writer.
 */
export function createHandoverAudit(options: { secret?: string; source?: AuditSource }): HandoverAudit {
  const writer = new AuditWriter({ secret: options.secret });
  const source = options.source ?? { id: 'dmp-fhir-adapter', display: 'DMP FHIR server', address: os.hostname() };
  return async (tx, facts, now) => {
    await writer.appendInTx(tx, [handoverAuditInput(facts, now, source)]);
  };
}
