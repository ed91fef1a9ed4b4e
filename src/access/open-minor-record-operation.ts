import { patientConsent } from './consent-rules';
import type { OwnTransactionsOf, ScopedRepository, StatementsOf } from '../store/scoped-repository';
import type { Consent, ContactPoint, Parameters, Patient, RelatedPerson } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import { recordDenial } from '../fhir/denied-requests';
import { badRequest, FhirError, forbidden, unprocessable } from '../fhir/errors';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import type { FhirService, OperationDefinitionEntry } from '../fhir/service';
import { queueNotices } from '../notify/outbox';
import { displayName } from '../notify/guardian-recipients';
import { buildMinorRecordOpenedNotice } from '../notify/minor-opening-messages';
import { resolveRecipients } from '../notify/recipients';
import { markOpeningDone, markOpeningRefused } from '../store/minor-opening-attempts';
import { TRUE } from '../store/sql';
import { actorOf } from './access-hooks';
import { reserveMinorOpening } from './minor-opening-limits';
import { assertChildMayBeOpened, assertParentMayOpen, MINOR_OPENING_STATE, PARENT_RELATIONSHIPS, type ParentRelationship } from './minor-opening-proof';
import { scopesAllow } from './scopes';
import { sharedContactIndexes } from './guardian-contacts-guard';
import { contactChannel } from './contact-points';
import { markEnteredByGuardian, storeConfirmedContact } from '../auth/account-codes';

export const OPEN_MINOR_RECORD = '$open-minor-record';
const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const RELATIONSHIP_DISPLAY: Record<ParentRelationship, string> = { MTH: 'mother', FTH: 'father', PRN: 'parent' };

interface Opening {
  child: Patient;
  relationship: ParentRelationship;
}

/** Reads the Parameters: `patient` (the child's Patient resource), `relationship` (MTH, FTH or PRN; default PRN). */
function parseOpening(body: unknown): Opening {
  const params = body as Parameters | undefined;
  if (params?.resourceType !== 'Parameters') throw badRequest(`${OPEN_MINOR_RECORD} takes a Parameters resource`);
  let child: Patient | undefined;
  let relationship: ParentRelationship = 'PRN';
  for (const [i, p] of (params.parameter ?? []).entries()) {
    if (p.name === 'patient' && p.resource?.resourceType === 'Patient') child = p.resource as Patient;
    else if (p.name === 'relationship' && PARENT_RELATIONSHIPS.includes(p.valueCode as ParentRelationship)) relationship = p.valueCode as ParentRelationship;
    else throw badRequest(`Parameters.parameter[${i}]: unknown or mistyped parameter "${p.name}" (patient: a Patient resource; relationship: MTH, FTH or PRN)`);
  }
  if (!child) throw badRequest(`${OPEN_MINOR_RECORD} needs the child's Patient in the parameter "patient"`);
  // Only identity and contact data: the record's state, treating physician and links are set by their own procedures.
  const { identifier, name, gender, birthDate, telecom, address } = child;
  return { child: { resourceType: 'Patient', identifier, name, gender, birthDate, telecom, address }, relationship };
}

/** The parent's own contacts become the guardian link's: his notices for the child go there. */
function guardianTelecom(parent: Patient, now: Date): ContactPoint[] {
  return resolveRecipients({ ...parent, extension: undefined }, { now, loginCode: true })
    .concat(resolveRecipients({ ...parent, extension: [{ url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/notification-channel', valueCode: 'all' }] }, { now }))
    .filter((r, i, all) => all.findIndex((x) => x.channel === r.channel && x.address === r.address) === i)
    .map((r, rank) => ({ system: r.channel === 'email' ? 'email' : 'sms', value: r.address, rank: rank + 1 }));
}

function openingConsent(patientId: string): Consent {
  return patientConsent(patientId, { type: 'permit' });
}

async function openMinorRecord(svc: FhirService, ctx: RequestContext, req: FhirRequest, recordUrl: string, clock: () => Date, connections: OpeningConnections): Promise<FhirResponse> {
  const { connection } = connections;
  const actor = actorOf(ctx);
  // A parent signed in on his own record (a patient token naming one record); professionals open a minor's record
  // with POST Patient and a RelatedPerson, guardians of another child have no say here.
  if (actor.kind !== 'patient' || actor.patientIds.length !== 1) {
    throw forbidden('Seul un parent connecté à son propre dossier médical partagé peut ouvrir ici celui de son enfant mineur.');
  }
  if (!scopesAllow(actor.scopes, 'c', 'Patient') || !scopesAllow(actor.scopes, 'c', 'RelatedPerson')) throw forbidden('The token\'s scopes do not grant creating a record');
  const now = clock();
  const parentId = actor.patientIds[0];
  const opening = parseOpening(req.body);
  // The proof first, outside any transaction: a request that proves nothing (400, 403, 422) tells nothing about
  // anyone's record and is not counted; one that would reach the INS claim (201, or a 409 telling that the child has a
  // record) is, per parent, reserved and committed before it runs (minor-opening-limits.ts).
  await proveOpening(svc.repo, ctx, { parentId, opening, now });
  svc.validate(opening.child);
  const db = connection(svc.repo);
  let attempt: string;
  try {
    attempt = await reserveMinorOpening(connections.ownTransactions(svc.repo), parentId, now);
  } catch (err) {
    // Traced in the parent's own trail (a refusal filed as 401/403 ones are), then answered 429 with Retry-After.
    if (err instanceof FhirError) recordDenial(ctx, { ...req, segments: ['Patient', parentId, OPEN_MINOR_RECORD] }, err, 'operation');
    throw err;
  }
  try {
    return await openWithin(svc, ctx, { opening, parentId, now, recordUrl, connection, attempt });
  } catch (err) {
    // The opening rolled back: the attempt stays counted (per hour), no longer as an opening.
    await markOpeningRefused(db, attempt);
    throw err;
  }
}

/** What the parent must prove (README, "A parent opens his child's record"); answers the parent's Patient. */
async function proveOpening(repo: Pick<ScopedRepository, 'readRow'>, ctx: RequestContext, o: { parentId: string; opening: Opening; now: Date }): Promise<Patient> {
  const serverCtx: RequestContext = { ...ctx, access: TRUE };
  const parentRow = await repo.readRow(serverCtx, 'Patient', o.parentId);
  const parent = assertParentMayOpen(parentRow && !parentRow.deleted && parentRow.text ? (JSON.parse(parentRow.text) as Patient) : undefined, o.now);
  assertChildMayBeOpened(o.opening.child, parent, o.now);
  // Compared as codes are addressed (`contactKey`): 06 12 34 56 78 is +33612345678, `sms` is `phone`/`mobile`, case aside.
  if (sharedContactIndexes(parent.telecom, o.opening.child.telecom).length) {
    throw unprocessable('Le dossier de l’enfant porte ses propres coordonnées (ou aucune) : vous recevez déjà ses avis à votre adresse, comme représentant légal.');
  }
  return parent;
}

async function openWithin(
  svc: FhirService,
  ctx: RequestContext,
  o: { opening: Opening; parentId: string; now: Date; recordUrl: string; connection: StatementsOf; attempt: string },
): Promise<FhirResponse> {
  const { now, recordUrl, connection, opening } = o;
  return svc.repo.transaction(async (repo) => {
    // Proven again inside the transaction that writes (the parent's record may have changed since).
    const parent = await proveOpening(repo, ctx, { parentId: o.parentId, opening, now });
    svc.validate(opening.child);
    const guardian = (patientId: string): RelatedPerson => ({
      resourceType: 'RelatedPerson',
      active: true,
      patient: { reference: `Patient/${patientId}` },
      relationship: [{ coding: [{ system: ROLE_CODE, code: opening.relationship, display: RELATIONSHIP_DISPLAY[opening.relationship] }] }],
      name: (parent.name ?? []).filter((n) => n.use !== 'maiden').slice(0, 2),
      telecom: guardianTelecom(parent, now),
    });
    // Only these three creates skip the ordinary write rules (a patient may not create another person's Patient nor
    // declare a guardian there): the proof above replaces them. Everything else (the INS claim, 409; provenance; the audit trail) runs as
    // for any create by this actor, but the child's activation code, given in person (activation-hooks.ts).
    ctx.state.set(MINOR_OPENING_STATE, true);
    let childId: string;
    let guardianId: string;
    try {
      childId = (await repo.create(ctx, opening.child)).stored.id;
      const consent = openingConsent(childId);
      svc.validate(consent);
      await repo.create(ctx, consent);
      const link = guardian(childId);
      svc.validate(link);
      guardianId = (await repo.create(ctx, link)).stored.id;
    } finally {
      ctx.state.delete(MINOR_OPENING_STATE);
    }
    // Told to the child's own contact, if any, and to his guardians (the parent who opened it among them).
    const text = buildMinorRecordOpenedNotice({ at: now, parent: displayName(parent) ?? 'un parent' }, recordUrl);
    await markOpeningDone(connection(repo), o.attempt, childId);
    // The contacts the parent typed for the child are his word, not hers: marked as chosen by a guardian, they get none
    // of her credential codes (reset, sign-in, majority hand-over) until she confirms them herself (credential-contacts.ts).
    for (const telecom of opening.child.telecom ?? []) {
      const system = contactChannel(telecom);
      if (!system || !telecom.value) continue;
      const id = await storeConfirmedContact(connection(repo), { patientId: childId, contact: { system, value: telecom.value }, now });
      await markEnteredByGuardian(connection(repo), id);
    }
    await queueNotices(connection(repo), [{ key: `minor-record-opened:${childId}`, kind: 'minor-record-opened', patientId: childId, text, createdAt: now }]);
    const answer: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'patient', valueReference: { reference: `Patient/${childId}` } },
        { name: 'guardian', valueReference: { reference: `RelatedPerson/${guardianId}` } },
        // Read by the parent: no activation code was sent to the contacts he typed (activation-hooks.ts).
        { name: 'information', valueString: 'Le dossier de votre enfant est ouvert et vous y accédez comme représentant légal. Son propre code d’activation ne lui est pas envoyé : il lui est remis en personne, à un accueil de l’Assurance Maladie ou par son médecin.' },
      ],
    };
    return { status: 201, json: JSON.stringify(answer) };
  });
}

/**
 * `POST Patient/$open-minor-record` (Parameters: `patient`, the child's Patient with his INS, full birth date and sex;
 * `relationship` MTH, FTH or PRN): a parent signed in on his own record opens the record of his minor child and
 * becomes its legal guardian, in one transaction (Patient, opening Consent, RelatedPerson). The proof it asks for and
 * what it cannot prove: README, "A parent opens his child's record".
 */
/**
 * What the opening does beside the store, injected by the wiring: statements in the request's transaction (the attempt
 * marked, the contacts and the notice), and one transaction of its own (the attempt reserved and committed first).
 */
interface OpeningConnections {
  connection: StatementsOf;
  ownTransactions: OwnTransactionsOf;
}

export function openMinorRecordOperation(options: { recordUrl: string; clock?: () => Date } & OpeningConnections): OperationDefinitionEntry {
  return {
    name: OPEN_MINOR_RECORD,
    level: 'type',
    resourceType: 'Patient',
    methods: ['POST'],
    // The child's Patient, its opening Consent and the parent's guardian link (checked by minor-opening-proof first).
    writes: [
      { resourceType: 'Patient', writes: ['create'] },
      { resourceType: 'Consent', writes: ['create'] },
      { resourceType: 'RelatedPerson', writes: ['create'] },
    ],
    handler: (svc, ctx, req) => openMinorRecord(svc, ctx, req, options.recordUrl, options.clock ?? (() => new Date()), options),
    documentation: 'A parent signed in on his own record opens the record of his minor child and becomes its legal guardian (traced and notified)',
  };
}
