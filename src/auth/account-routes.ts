import express, { type Express, type Request } from 'express';
import type { RequestContext } from '../fhir/context';
import { badRequest, FhirError } from '../fhir/errors';
import { newContext } from '../http/fhir-endpoint';
import type { ActivationInput } from './activation';
import type { PasswordReset } from './password-reset';

/** An account procedure's outcome, for the audit trail. */
export interface AccountEventInfo {
  patientId?: string;
  event: 'activation' | 'password-reset' | 'password-reset-request' | 'contact-change' | 'contact-confirmed-in-person';
  success: boolean;
  reason?: string;
  /** Facts of the procedure for the trail (an activation: who issued the code used, and when). */
  details?: { type: string; valueString: string }[];
}

/** Told of every account procedure's outcome (the audit trail records them). */
export type AccountEventListener = (ctx: RequestContext, info: AccountEventInfo) => Promise<void>;

export interface AccountRoutesOptions {
  activate: (input: ActivationInput) => Promise<{ patientId: string; details?: AccountEventInfo['details'] }>;
  reset: PasswordReset;
  onEvent?: AccountEventListener;
}

const RESET_ANSWER = 'Si cet identifiant existe, un code de réinitialisation a été envoyé à l’adresse e-mail ou au téléphone mobile enregistrés dans le dossier.';

/**
 * Every reset request is answered this long after it arrived, whatever was done for it. The same 202 did not hide how
 * long the work took: for a known identifier (the holder's codes counted, his contacts read, a code and its message
 * queued, his trail written) about 3 ms more than for an unknown one, measured over HTTP — enough to tell, with a few
 * dozen requests and no limit on them, which identifiers exist (attack sweep 6b). The work takes a few to a few tens
 * of milliseconds; under a load that takes it past this floor, its variations drown the difference.
 */
export const RESET_ANSWER_MS = 300;

const waitUntil = (instant: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, instant - Date.now())));

/** Why a reset request sent no code, for the trail (never for the caller). */
const RESET_REASONS: Record<string, string | undefined> = {
  sent: undefined,
  unknown: 'unknown identifier',
  limited: 'too many reset requests for this identifier within the hour',
  'no-safe-contact': 'no contact a reset code may go to (a legal guardian\'s, or not confirmed by the holder since his majority)',
};

function field(req: Request, name: string, optional = false): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (optional && value === undefined) return '';
  if (typeof value !== 'string' || !value) throw badRequest(`"${name}" is required (JSON or form body)`);
  return value;
}

/** Runs a step and reports its outcome to the audit listener (the refusal's reason, or the patient). */
async function audited(o: AccountRoutesOptions, req: Request, res: express.Response, event: AccountEventInfo['event'], step: () => Promise<{ patientId: string; details?: AccountEventInfo['details'] }>): Promise<void> {
  const ctx = newContext(req, String(res.locals.requestId));
  try {
    const { patientId, details } = await step();
    await o.onEvent?.(ctx, { patientId, event, success: true, details });
  } catch (err) {
    await o.onEvent?.(ctx, { event, success: false, reason: err instanceof FhirError ? err.message : `${event} failed` });
    throw err;
  }
}

/**
 * The account routes that need no token (issue 12): `POST /auth/activate` (record id or INS, activation code,
 * identifier, password), `POST /auth/reset` (identifier → always 202) and `POST /auth/reset/confirm`
 * (identifier, code, new password).
 */
export function mountAccountRoutes(app: Express, o: AccountRoutesOptions): void {
  const body = [express.json({ limit: '16kb' }), express.urlencoded({ extended: false, limit: '16kb' })];
  app.post('/auth/activate', ...body, async (req, res) => {
    const patient = field(req, 'patient', true) || field(req, 'record', true);
    const ins = field(req, 'patient_ins', true);
    if (!patient && !ins) throw badRequest('"patient" (record id) or "patient_ins" is required');
    const input = { patient: patient || undefined, ins: patient ? undefined : ins, code: field(req, 'activation_code'), identifier: field(req, 'identifier'), password: field(req, 'password') };
    await audited(o, req, res, 'activation', () => o.activate(input));
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ message: 'Votre dossier est activé : connectez-vous avec votre identifiant et votre mot de passe.' });
  });
  app.post('/auth/reset', ...body, async (req, res) => {
    const answerAt = Date.now() + RESET_ANSWER_MS;
    const { patientId, outcome } = await o.reset.request(field(req, 'identifier'));
    // In the holder's trail whatever came of it (he sees that someone asked); an unknown identifier is filed too, so that
    // both answers cost the same.
    await o.onEvent?.(newContext(req, String(res.locals.requestId)), { patientId, event: 'password-reset-request', success: outcome === 'sent', reason: RESET_REASONS[outcome] });
    await waitUntil(answerAt);
    res.status(202).json({ message: RESET_ANSWER });
  });
  app.post('/auth/reset/confirm', ...body, async (req, res) => {
    const input = { identifier: field(req, 'identifier'), code: field(req, 'code'), password: field(req, 'password') };
    await audited(o, req, res, 'password-reset', () => o.reset.confirm(input));
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ message: 'Votre mot de passe a été modifié : connectez-vous avec le nouveau mot de passe.' });
  });
}
