import type { Parameters, Patient } from '@medplum/fhirtypes';
import { actorOf } from '../access/access-hooks';
import { badRequest, forbidden, unprocessable } from '../fhir/errors';
import type { RequestContext } from '../fhir/context';
import type { FhirRequest } from '../fhir/request';
import { storedResponse, type FhirService, type OperationDefinitionEntry } from '../fhir/service';
import { RECORD_LIFE_STATE } from './record-life-hooks';
import { buildClosureExtension, CLOSURE_REASONS, isClosureReason, withoutClosureExtension, type ClosureReason } from './record-closure';
import { ownsRecord } from '../access/actor';
import { assertAccountToken } from '../access/account-token';

/**
 * 403 unless the caller is the patient of the record or one of his legal guardians, with his own token: closing the
 * record (readable by him alone, purged after 10 years) or reactivating it is the account's own procedure, like its
 * password and contacts — an application he let write his record does not do it (`assertAccountToken`).
 */
function assertOwner(ctx: RequestContext, patientId: string): void {
  const actor = actorOf(ctx);
  if (!ownsRecord(actor, patientId)) throw forbidden('Seul le patient (ou son représentant légal) peut fermer ou réactiver son dossier');
  assertAccountToken(actor, 'close or reactivate the record');
}

/** The `reason` of `$close`: a Parameters body (valueCode, or valueCoding in our code system) or `?reason=`. */
function readReason(req: FhirRequest): ClosureReason {
  const body = req.body as Parameters | undefined;
  const param = body && !Buffer.isBuffer(body) && !Array.isArray(body) && body.resourceType === 'Parameters' ? body.parameter?.find((p) => p.name === 'reason') : undefined;
  const code = param?.valueCode ?? param?.valueCoding?.code ?? req.query.find(([k]) => k === 'reason')?.[1];
  if (code === undefined) throw badRequest(`Indiquez le motif de la fermeture (paramètre reason) : ${Object.keys(CLOSURE_REASONS).join(', ')}`, ['Parameters.parameter']);
  if (!isClosureReason(code)) throw unprocessable(`Motif de fermeture inconnu « ${code} » : ${Object.keys(CLOSURE_REASONS).join(', ')}`);
  return code;
}

/** Reads the Patient, lets `change` build its next version, and writes it as a record-life operation. */
async function changeRecord(svc: FhirService, ctx: RequestContext, req: FhirRequest, id: string, change: (patient: Patient) => Patient) {
  return svc.repo.transaction(async (repo) => {
    const current = await repo.read(ctx, 'Patient', id);
    const next = change(JSON.parse(current.text as string) as Patient);
    // Marks this one write only: another entry of the same transaction Bundle may not restate the closure.
    ctx.state.set(RECORD_LIFE_STATE, true);
    try {
      const { stored } = await repo.update(ctx, next, { ifMatch: current.versionId });
      return storedResponse(200, req.baseUrl, stored);
    } finally {
      ctx.state.delete(RECORD_LIFE_STATE);
    }
  });
}

/**
 * `POST Patient/{id}/$close` (reason: patient-request | deceased | duplicate | other) and `POST Patient/{id}/$reactivate`:
 * the patient (or guardian) closes his record, which stays readable by him alone for 10 years and is then purged, or
 * reactivates it within those 10 years (422 after). The Patient answered carries the record-closure extension
 * (closure instant and reason) while closed.
 */
export function recordLifeOperations(clock: () => Date): OperationDefinitionEntry[] {
  const close: OperationDefinitionEntry = {
    name: '$close',
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    // Declared so that the pipeline grants this one write (closed by default: write-grants.ts).
    writes: [{ resourceType: 'Patient', writes: ['update'] }],
    documentation: 'Closes the record (reason: patient-request, deceased, duplicate, other); kept 10 years, readable by the patient only, then purged',
    async handler(svc, ctx, req, target) {
      const id = target.id as string;
      assertOwner(ctx, id);
      const reason = readReason(req);
      return changeRecord(svc, ctx, req, id, (patient) => {
        if (patient.active === false) throw unprocessable('Ce dossier est déjà fermé');
        const open = withoutClosureExtension(patient);
        return { ...open, active: false, extension: [...(open.extension ?? []), buildClosureExtension(clock(), reason)] };
      });
    },
  };
  const reactivate: OperationDefinitionEntry = {
    name: '$reactivate',
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    // Declared so that the pipeline grants this one write (closed by default: write-grants.ts).
    writes: [{ resourceType: 'Patient', writes: ['update'] }],
    documentation: 'Reactivates a closed record within the 10 years of its retention (422 after)',
    async handler(svc, ctx, req, target) {
      const id = target.id as string;
      assertOwner(ctx, id);
      return changeRecord(svc, ctx, req, id, (patient) => {
        if (patient.active !== false) throw unprocessable('Ce dossier n\u2019est pas fermé');
        return { ...withoutClosureExtension(patient), active: true };
      });
    },
  };
  return [close, reactivate];
}
