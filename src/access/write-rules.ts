import type { Consent, DocumentReference, Patient, RelatedPerson } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { type FhirError, forbidden, HiddenRefusal, unprocessable } from '../fhir/errors';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { accessFact, loadRecordState } from './access-facts-memo';
import { isAssuranceMaladie, ownsRecord, type DmpActor } from './actor';
import type { AccessPlan } from './access-plan';
import { insKeys, isGuardianRelationship } from './access-tables';
import { insValues } from './record-ins';
import { compileCompartmentWrite } from './compile-access';
import { assertIdentityKept, otherIdentifiers } from './identity-traits';
import { consentPatientId, isOpeningConsent, parseConsent } from './consent-rules';
import { wasEverOpened } from './record-opening';
import { assertDirectoryWrite } from './directory-rules';
import { assertFeederAuthorAuthorised } from './feeder-author';
import { assertSystemWritesDocuments, isCareHistoryDocument } from './fed-documents';
import { assertGuardianWrite, opensRecordWithPatient, type GuardianWriteContext } from './guardian-rules';
import { guardGuardianContacts, type RetirementEvent } from './guardian-contacts-guard';
import { assertListedDocumentsInRecord, assertNamedDocumentsKnown } from './named-documents';
import { assertSenderIsWriter } from './communication-sender';
import { assertAdoptionsAllowed } from './binary-adoption';
import { assertMayAttach, assertMayChange, assertMayReplace, isVisible } from './provenance';
import { unknownPatient } from './compartment-tie';
import { assertStaysInRecord, movesRecord } from './record-move';
import { assertFlagsFromProfessionals, assertNoStandaloneVisibilityFlags } from './visibility-flags';
import { classOf } from './resource-classes';
import { assertTreatingPhysicianKept } from './treating-physician';

function mayWriteCompartment(tx: Statements, plan: AccessPlan, patientId: string): Promise<boolean> {
  const statement = sql`SELECT ${compileCompartmentWrite(plan, patientId)} AS ok`;
  // The same question (same compiled statement) gets the same answer until the transaction changes the access tables.
  const { text, values } = statement.toQuery();
  const key = `may-write:${text}:${JSON.stringify(values)}`;
  return accessFact(tx, key, async () => (await tx.query<{ ok: boolean }>(statement)).rows[0]?.ok === true);
}

/**
 * Refuses a write for a reason of its record (closed, not open, not authorised, the patient's alone): throws `refusal`,
 * unless a professional or patient who may not see that record's Patient is creating — he learns nothing of it, not
 * that it exists nor its state, and gets word for word the answer of a Patient that does not exist (DESIGN §5 "hidden
 * is absent"; the 409 of a duplicate INS is neutral for the same reason), while the patient's trail files the refusal
 * with its real reason (`HiddenRefusal`). Feeders and the Assurance Maladie find records by INS inside their writes,
 * the identity look-up they are given, and keep the reason. An update, patch or delete reached this point through a
 * row the writer found under his read predicate (a hidden one answered 404 before): he knows that record — unless it
 * moves the row into another one, which is named like a creation's. Only on the refusal path: an allowed write asks
 * nothing more.
 */
async function refuseInRecord(tx: Statements, actor: DmpActor, event: WriteEvent, patientId: string, refusal: FhirError): Promise<never> {
  // An update or patch moving a row into another record names that record as a creation does (issue 11, sweep 4: with
  // any row of his own a writer learnt whether a Patient id exists, and whether it is closed or not open yet).
  if ((event.interaction === 'create' || (await movesRecord(tx, event))) && (await isHiddenRecord(tx, actor, patientId))) {
    throw new HiddenRefusal(unknownPatient(event.resourceType, patientId), refusal.message);
  }
  throw refusal;
}

/** A record a professional or patient may not see (feeders and the Assurance Maladie find records by INS). */
async function isHiddenRecord(tx: Statements, actor: DmpActor, patientId: string): Promise<boolean> {
  return actor.kind !== 'system' && !ownsRecord(actor, patientId) && !(await isVisible(tx, actor, patientId, 'Patient'));
}

async function assertConsentWrite(tx: Statements, actor: DmpActor, event: WriteEvent, context: WriteContext): Promise<void> {
  const consent = event.resource as Consent | undefined;
  const previous = event.previous as Consent | undefined;
  if (consent) {
    const { problems } = parseConsent(consent);
    if (problems.length) throw unprocessable(problems);
  }
  const patientId = (consent && consentPatientId(consent)) ?? (previous && consentPatientId(previous)) ?? event.compartment ?? '';
  if (previous && consentPatientId(previous) !== patientId) {
    const refusal = unprocessable('A Consent cannot move to another patient');
    if (await isHiddenRecord(tx, actor, patientId)) throw new HiddenRefusal(unknownPatient('Consent', patientId), refusal.message);
    throw refusal;
  }
  // A professional, or the Assurance Maladie at its counters, records the patient's first agreement on his behalf, for a
  // record it created with him (a withdrawn opening is answered just below: re-opening is the patient's).
  const recordsForPatient = actor.kind === 'practitioner' || isAssuranceMaladie(actor);
  const mayRecordOpening = recordsForPatient && event.interaction === 'create' && !!consent && isOpeningConsent(consent) && (await opensRecordWithPatient(tx, actor, patientId, false, context));
  if (!ownsRecord(actor, patientId) && !mayRecordOpening) {
    await refuseInRecord(tx, actor, event, patientId, forbidden('Only the patient or a legal guardian may create or change consents (a professional or the Assurance Maladie may only record the opening consent of a record it created with the patient)'));
  }
  if (!ownsRecord(actor, patientId) && (await wasEverOpened(tx, patientId))) {
    await refuseInRecord(tx, actor, event, patientId, forbidden(`Only the patient or a legal guardian may re-open the record of Patient/${patientId}: it was opened before, and a withdrawn agreement is the patient's to give again`));
  }
  await assertTreatingPhysicianKept(tx, patientId, event.interaction === 'delete' ? undefined : consent, previous);
}

function assertPatientWrite(actor: DmpActor, event: WriteEvent): void {
  const next = event.resource as Patient | undefined;
  if (event.interaction === 'create') {
    const ownIns = !!actor.ins && insKeys(next).includes(actor.ins);
    if (actor.kind === 'patient' && (actor.patientIds.includes(event.id) || ownIns)) {
      // His token vouches for his INS only: another identifier (a hospital's local IPP, by which its feeder files
      // documents) would be his word, and could be another person's (attack sweep 6).
      if (otherIdentifiers(next).length) throw forbidden('A patient opens his record with his INS only: other identifiers are recorded by the professional or the Assurance Maladie opening it with him');
      // Nor another INS beside his own (attack sweep 11): the record claimed it (one record per INS), the feeders then
      // filed that person's reports in it, her own sign-in opened it, and she could no longer open a record of her own.
      if (insValues(next).some((value) => value !== actor.ins)) throw forbidden('A patient opens his record with his own INS only (the one his sign-in proved): another INS is another person');
      return;
    }
    if (actor.kind === 'practitioner') {
      // Opening a record on the patient's behalf. The treating physician reads every document, masked ones included, and
      // the patient cannot withdraw his access: he is the patient's choice (or the one the Assurance Maladie holds), never
      // the opening professional's word. Naming himself, or a colleague, at creation made him so (attack sweep 6), as
      // the update rule below already refuses for an existing record.
      if (next?.generalPractitioner?.length) throw forbidden('A professional opening a record names no treating physician (Patient.generalPractitioner): the patient designates him on his own Patient resource, or the Assurance Maladie records the one it knows');
      return;
    }
    // The Assurance Maladie opens a record at its counters after checking the person's identity: only with an INS
    // (the record's key; its control key is checked by validation), never an identity-less record.
    if (isAssuranceMaladie(actor)) {
      if (insKeys(next).length === 0) throw unprocessable('A record opened by the Assurance Maladie carries the patient\'s verified INS (Patient.identifier, NIR or NIA)');
      return;
    }
    throw forbidden('Only the patient (matching his INS), a professional recording the opening or the Assurance Maladie may create a Patient');
  }
  assertIdentityKept(event);
  if (ownsRecord(actor, event.id)) return;
  // The Patient resource is the patient's own entry (DESIGN §5): its status, treating physician, contacts and
  // administrative data change by him or his guardian; identity traits by the identity procedure.
  throw forbidden('Only the patient or a legal guardian may change the Patient resource of a record (identity traits through the identity procedure)');
}

async function assertRecordWritable(tx: Statements, actor: DmpActor, plan: AccessPlan, event: WriteEvent, patientId: string, context: GuardianWriteContext): Promise<void> {
  const state = await loadRecordState(tx, patientId);
  if (state.closed && event.interaction === 'create') {
    await refuseInRecord(tx, actor, event, patientId, unprocessable(`The record of Patient/${patientId} is closed: no new entries until it is reactivated`));
  }
  if (ownsRecord(actor, patientId)) return;
  if (actor.kind === 'system' && !isAssuranceMaladie(actor) && !state.open) {
    throw unprocessable(`Patient/${patientId} has no open DMP: the patient must agree to open the record first`);
  }
  // Recording a minor's guardian at opening: by the professional opening the record — in the request that created the
  // Patient, or later while it is not open yet if he created that Patient. Any other professional who merely knows a
  // not-yet-open record's id may not add people to it (a parent link would give him the child's record once open).
  // "Not open yet" is "never opened": after the patient withdrew his agreement the record is not being opened.
  if (actor.kind === 'practitioner' && event.resourceType === 'RelatedPerson' && (await opensRecordWithPatient(tx, actor, patientId, state.open || (await wasEverOpened(tx, patientId)), context))) return;
  // The identity-verified procedure records a parent or a court measure without being authorised in the record
  // (guardian-rules.ts decides the rest).
  if (actor.kind === 'practitioner' && actor.role === 'identity-verifier' && event.resourceType === 'RelatedPerson' && isGuardianRelationship(event.resource as RelatedPerson)) return;
  if (!(await mayWriteCompartment(tx, plan, patientId))) {
    const refusal = !state.open && actor.kind === 'practitioner'
      ? unprocessable(`Patient/${patientId} has no open DMP: the patient must agree to open the record first`)
      : forbidden('You are not authorised to write in this record');
    await refuseInRecord(tx, actor, event, patientId, refusal);
  }
}

/** What a write decision needs to know of the request beyond the event. */
export interface WriteContext extends GuardianWriteContext {
  /** `Type/id`s a transaction drew for its entries, not written yet (`fhir/new-in-request.ts`). */
  newInRequest?: ReadonlySet<string>;
  /** Told when a guardian link retires the holder's pending codes (the audit records it with the link's write). */
  onCodesRetired?: (event: RetirementEvent) => void;
  /** The Lists naming documents written so far in this request (`named-documents.ts`), kept by the caller. */
  listsInRequest?: Set<string>;
}

/**
 * Write authorisation, inside the write transaction and before the row is written (issue 4 rules 4, 8–11):
 * consent ownership and the treating-physician rule, record closure, Assurance Maladie limits, authorised
 * professionals and feeders writing into open records, the directory (directory-rules.ts) and who may change what
 * (provenance.ts), who may record a parent or legal guardian (guardian-rules.ts, at `context.now`). Throws 403, 409
 * or 422.
 */
export async function assertWriteAllowed(tx: Statements, actor: DmpActor, plan: AccessPlan, event: WriteEvent, context: WriteContext = { now: new Date() }): Promise<void> {
  if (plan.effect !== 'allow') throw forbidden(plan.reason);
  if (isAssuranceMaladie(actor) && event.resourceType === 'DocumentReference' && !isCareHistoryDocument(event.resource as DocumentReference)) {
    throw forbidden('The Assurance Maladie may only create care-history documents (type REMB / class 60)');
  }
  // Feeders and the Assurance Maladie write clinical data only as documents (fed-documents.ts).
  assertSystemWritesDocuments(actor, event);
  // Besides care history, the Assurance Maladie opens records at its counters: the Patient and its opening Consent.
  const opensRecord = event.interaction === 'create' && (event.resourceType === 'Patient' || event.resourceType === 'Consent');
  if (isAssuranceMaladie(actor) && classOf(event.resourceType) === 'record' && !opensRecord) {
    throw forbidden(`The Assurance Maladie submits care-history documents and opens records at its counters; it may not write a ${event.resourceType}`);
  }
  if (event.resourceType === 'Consent') return assertConsentWrite(tx, actor, event, context);
  if (event.resourceType === 'Patient') return assertPatientWrite(actor, event);
  if (classOf(event.resourceType) === 'directory') return assertDirectoryWrite(tx, actor, event);
  // Before the record is looked at: a hidden document answers like a missing one, not with the record's 403.
  await assertNamedDocumentsKnown(tx, actor, event, context.newInRequest ?? new Set());
  await assertListedDocumentsInRecord(tx, event, context.listsInRequest ?? new Set());
  const patientId = event.compartment ?? undefined;
  if (!patientId) {
    // A Binary submitted before its DocumentReference takes the document's record when the document is written.
    if (event.resourceType === 'Binary' && (actor.kind === 'practitioner' || actor.kind === 'system')) {
      if (event.interaction !== 'create') await assertMayChange(tx, actor, event, actor.patientIds);
      return;
    }
    // Other clinical and record rows are tied to one Patient before this point (compartment-tie.ts): fail closed.
    throw forbidden(`${event.resourceType} is neither a directory entry nor tied to a record`);
  }
  await assertRecordWritable(tx, actor, plan, event, patientId, context);
  await assertGuardianWrite(tx, actor, event, context);
  // Provenance: an update, patch or delete is for who wrote the row (provenance.ts); a replacement likewise.
  if (event.interaction !== 'create') await assertMayChange(tx, actor, event, actor.patientIds);
  assertNoStandaloneVisibilityFlags(event);
  assertFlagsFromProfessionals(actor, event);
  assertSenderIsWriter(actor, event);
  await assertStaysInRecord(tx, event);
  await assertMayReplace(tx, actor, event, actor.patientIds);
  await assertMayAttach(tx, actor, event, actor.patientIds);
  await assertAdoptionsAllowed(tx, actor, event, context.newInRequest ?? new Set());
  if (actor.kind === 'system' && !isAssuranceMaladie(actor) && event.resourceType === 'DocumentReference' && event.interaction !== 'delete') {
    await assertFeederAuthorAuthorised(tx, plan, event);
  }
  // Last: it retires codes and queues a notice (rolled back with the write if a later check refuses it).
  await guardGuardianContacts(tx, event, context);
}
