import type { Address, HumanName, Identifier, OperationOutcomeIssue, Parameters, Patient } from '@medplum/fhirtypes';
import { IDENTITY_CORRECTION_STATE, type IdentityCorrection } from '../audit/identity-correction';
import type { RequestContext } from '../fhir/context';
import { badRequest, conflict, notFound, outcomeOf, unprocessable } from '../fhir/errors';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import type { FhirService, OperationDefinitionEntry } from '../fhir/service';
import { buildNotice } from '../notify/messages';
import { queueNotices } from '../notify/outbox';
import type { Statements } from '../store/db';
import { advisoryLock } from '../store/locks';
import { sql, TRUE } from '../store/sql';
import { explainInsProblem } from '../validation/ins';
import { actorOf } from './access-hooks';
import { INS_SYSTEMS, isAssuranceMaladie, type DmpActor } from './actor';
import { assertMayCorrectIdentity, changedIdentityTraits, IDENTITY_PROCEDURE_STATE, insIdentifiers, isIdentityName, UPDATE_IDENTITY } from './identity-traits';
import type { StatementsOf } from '../store/scoped-repository';
import { BIRTH_PLACE_URL, birthPlaceCodesOf } from '../documents/birth-place';

const GENDERS = ['male', 'female', 'other', 'unknown'];

interface IdentityChange {
  identifiers?: Identifier[];
  /**
   * Local identifiers (a hospital's IPP …) by system: the record's identifiers of each system named become exactly these
   * values; a system named with no value removes them. Other systems are kept.
   */
  locals?: Map<string, string[]>;
  birthDate?: string;
  gender?: Patient['gender'];
  names?: HumanName[];
  /** The birth place (its address carries the INSEE COG code, the compared trait): replaces the record's. */
  birthPlace?: Address;
  reason: string;
}

/** Reads the operation's Parameters (400 on an unknown or mistyped parameter, 422 on a malformed INS). */
export function parseIdentityChange(body: unknown): IdentityChange {
  const params = body as Parameters | undefined;
  if (!params || params.resourceType !== 'Parameters') throw badRequest('$update-identity takes a Parameters resource');
  const change: Partial<IdentityChange> = {};
  const issues: OperationOutcomeIssue[] = [];
  (params.parameter ?? []).forEach((p, i) => {
    const at = `Parameters.parameter[${i}]`;
    if (p.name === 'identifier' && p.valueIdentifier) {
      const id = p.valueIdentifier;
      if (!id.system || !INS_SYSTEMS.includes(id.system) || !id.value) throw badRequest(`${at}: only INS identifiers (system and value) are identity traits`);
      const problem = explainInsProblem(id.value);
      if (problem) issues.push({ severity: 'error', code: 'value', diagnostics: `INS ${id.system}|${id.value}: ${problem}`, expression: [`${at}.valueIdentifier.value`] });
      (change.identifiers ??= []).push(id);
    } else if (p.name === 'localIdentifier' && p.valueIdentifier) {
      // Local identifiers are identity traits too (a feeder files a document without INS by them), so the procedure is
      // the only way to correct one: without it a wrong IPP could not be fixed by anyone (attack sweep 6).
      const { system, value } = p.valueIdentifier;
      if (!system || INS_SYSTEMS.includes(system)) throw badRequest(`${at}: localIdentifier names a local identifier's system (an INS is given as identifier)`);
      const values = (change.locals ??= new Map()).get(system) ?? [];
      change.locals.set(system, value ? [...values, value] : values);
    } else if (p.name === 'birthDate' && typeof p.valueDate === 'string') change.birthDate = p.valueDate;
    else if (p.name === 'gender' && typeof p.valueCode === 'string' && GENDERS.includes(p.valueCode)) change.gender = p.valueCode as Patient['gender'];
    else if (p.name === 'name' && p.valueHumanName) (change.names ??= []).push({ ...p.valueHumanName, use: p.valueHumanName.use ?? 'official' });
    else if (p.name === 'birthPlace' && p.valueAddress && typeof p.valueAddress === 'object') {
      // Only the INSEE code is compared with documents: a birth place without one would correct nothing comparable.
      if (!birthPlaceCodesOf({ extension: [{ url: BIRTH_PLACE_URL, valueAddress: p.valueAddress }] }).length) {
        issues.push({ severity: 'error', code: 'value', diagnostics: `${at}: a birth place names its commune by its INSEE COG code (FR Core address INSEE code extension, 5 characters, Corsica 2A/2B)`, expression: [`${at}.valueAddress`] });
      }
      change.birthPlace = p.valueAddress;
    } else if (p.name === 'reason' && typeof p.valueString === 'string' && p.valueString.trim()) change.reason = p.valueString.trim();
    else throw badRequest(`${at}: unknown or mistyped parameter "${p.name}" (identifier, localIdentifier, birthDate, birthPlace, gender, name, reason)`);
  });
  if (issues.length) throw unprocessable(issues);
  if (!change.reason) throw badRequest('$update-identity needs a reason (valueString)');
  if ((change.names ?? []).some((n) => !isIdentityName(n))) throw badRequest('$update-identity changes official or maiden names only');
  return change as IdentityChange;
}

/** The Patient with the new traits: INS identifiers and identity names replaced, everything else kept. */
export function applyIdentityChange(previous: Patient, change: IdentityChange): Patient {
  const next: Patient = { ...previous };
  if (change.identifiers) next.identifier = [...(previous.identifier ?? []).filter((i) => !INS_SYSTEMS.includes(i.system ?? '')), ...change.identifiers];
  if (change.locals) {
    const locals = change.locals;
    const kept = (next.identifier ?? []).filter((i) => !locals.has(i.system ?? ''));
    next.identifier = [...kept, ...[...locals].flatMap(([system, values]) => [...new Set(values)].map((value) => ({ system, value })))];
  }
  if (change.birthDate) next.birthDate = change.birthDate;
  if (change.gender) next.gender = change.gender;
  if (change.names) next.name = [...(previous.name ?? []).filter((n) => !isIdentityName(n)), ...change.names];
  if (change.birthPlace) next.extension = [...(previous.extension ?? []).filter((e) => e.url !== BIRTH_PLACE_URL), { url: BIRTH_PLACE_URL, valueAddress: change.birthPlace }];
  return next;
}

/**
 * A local identifier given to this record identifies no other one (409): a document or a conditional reference naming
 * it would otherwise match two records, and the procedure would hand one person's identifier to another.
 */
async function assertLocalIdentifiersFree(db: Statements, patientId: string, change: IdentityChange): Promise<void> {
  const given = [...(change.locals ?? [])].flatMap(([system, values]) => values.map((value) => JSON.stringify({ identifier: [{ system, value }] }))).sort();
  if (!given.length) return;
  // Two corrections giving one identifier to two records at once would both find it free: the second waits here until
  // the first commits, then sees it (in sorted order, so two such corrections never wait on each other).
  for (const identifier of given) await advisoryLock(db, `patient-local-identifier:${identifier}`);
  const { rows } = await db.query<{ id: string }>(
    sql`SELECT r.id FROM resource r WHERE r.type = 'Patient' AND NOT r.deleted AND r.id <> ${patientId} AND r.content @> ANY(${given}::jsonb[]) LIMIT 1`,
  );
  if (rows.length) throw conflict('A local identifier given (localIdentifier) already identifies another record: correct that record first');
}

/** The corrector in words for the patient's notice (French). */
function describeCorrector(actor: DmpActor): string {
  return isAssuranceMaladie(actor) ? "l'Assurance Maladie" : `un professionnel habilité à vérifier l'identité (RPPS ${actor.id})`;
}

async function updateIdentity(svc: FhirService, ctx: RequestContext, req: FhirRequest, patientId: string, options: UpdateIdentityOptions): Promise<FhirResponse> {
  const { recordUrl } = options;
  const actor = actorOf(ctx);
  assertMayCorrectIdentity(actor);
  const change = parseIdentityChange(req.body);
  return svc.repo.transaction(async (repo) => {
    // The corrector need not be able to read the record (the Assurance Maladie never can): the operation, already
    // authorised, reads and writes this one Patient as the server.
    const serverCtx: RequestContext = { ...ctx, access: TRUE };
    const current = (await repo.lockTarget(serverCtx, 'Patient', patientId)).row;
    if (!current || current.deleted) throw notFound(`Patient/${patientId} not found`);
    const previous = JSON.parse(current.text as string) as Patient;
    const next = applyIdentityChange(previous, change);
    const changed = changedIdentityTraits(previous, next);
    if (!changed.length) throw unprocessable('The identity given is the identity the record already has: nothing to correct');
    await assertLocalIdentifiersFree(options.connection(repo), patientId, change);
    svc.validate(next);
    const correction: IdentityCorrection = { patientId, previousIns: insIdentifiers(previous), ins: insIdentifiers(next), changed, reason: change.reason };
    // For this one write only: a later entry of the same Bundle shares the context and gets the ordinary rules.
    ctx.state.set(IDENTITY_PROCEDURE_STATE, patientId);
    ctx.state.set(IDENTITY_CORRECTION_STATE, correction);
    let stored;
    try {
      ({ stored } = await repo.update(serverCtx, next, { ifMatch: current.versionId }));
    } finally {
      ctx.state.delete(IDENTITY_PROCEDURE_STATE);
      ctx.state.delete(IDENTITY_CORRECTION_STATE);
    }
    const at = options.clock?.() ?? stored.lastUpdated;
    const text = buildNotice('identity-corrected', { at, who: describeCorrector(actor) }, recordUrl);
    await queueNotices(options.connection(repo), [{ key: `identity-corrected:${patientId}:${stored.versionId}`, kind: 'identity-corrected', patientId, text, createdAt: at }]);
    // The answer says what was done, not the record: the corrector may not be allowed to read it.
    const outcome = outcomeOf('information', 'informational', `Identity of Patient/${patientId} corrected (${changed.join(', ')}), version ${stored.versionId}`);
    return { status: 200, json: JSON.stringify(outcome) };
  });
}

/**
 * `POST Patient/{id}/$update-identity` (Parameters: identifier, localIdentifier, birthDate, birthPlace, gender, name, reason): the identity
 * procedure, the only way the identity traits of an existing record change. For an identity verifier or the
 * Assurance Maladie; the new INS must be well-formed and free (409); audited as an identity correction and
 * notified to the patient.
 */
/** `recordUrl` for the notice; `clock` its instant; `connection` (injected by the wiring) queues the notice in the update's transaction. */
interface UpdateIdentityOptions {
  recordUrl: string;
  connection: StatementsOf;
  /** The server's clock: the instant the notice tells (in Europe/Paris), as every other notice. */
  clock?: () => Date;
}

export function updateIdentityOperation(options: UpdateIdentityOptions): OperationDefinitionEntry {
  return {
    name: UPDATE_IDENTITY,
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    // Declared so that the pipeline grants this one write (closed by default: write-grants.ts).
    writes: [{ resourceType: 'Patient', writes: ['update'] }],
    handler: (svc, ctx, req, target) => updateIdentity(svc, ctx, req, target.id as string, options),
    documentation: 'Identity procedure: corrects the INS, local identifiers, birth date or place, gender or birth names of a record (identity verifier or Assurance Maladie); audited and notified',
  };
}
