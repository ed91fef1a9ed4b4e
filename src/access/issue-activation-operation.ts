import type { StatementsOf } from '../store/scoped-repository';
import { scopesAllow } from './scopes';
import type { Patient } from '@medplum/fhirtypes';
import { storeConfirmedContact } from '../auth/account-codes';
import type { AccountEventListener } from '../auth/account-routes';
import { issueActivationCode, type AccountNoticeSender } from '../auth/activation';
import { codeIssuer } from './activation-hooks';
import { loadCredentialContactPolicy } from '../auth/credential-contacts';
import type { RequestContext } from '../fhir/context';
import { FhirError, forbidden, notFound, outcomeOf, unprocessable } from '../fhir/errors';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import type { FhirService, OperationDefinitionEntry } from '../fhir/service';
import { TRUE } from '../store/sql';
import { actorOf } from './access-hooks';
import { isAssuranceMaladie } from './actor';
import { ACTIVATION_CODE_HEADER } from './activation-hooks';
import { COUNTER_CONTACT_STATE, CONFIRMED_CONTACT_STATE } from './contact-points';
import { parseCounterContacts, patientWithCounterContacts, removedContacts, type CounterContact } from './counter-contacts';

export const ISSUE_ACTIVATION = '$issue-activation';

interface IssueActivationOptions {
  clock?: () => Date;
  connection: StatementsOf;
  /** Sender of account notices (the activation code to the contact given, the old contact told). */
  send: AccountNoticeSender;
  /** Told of the contact recorded at the counter (the audit trail records it as its own event). */
  onEvent?: AccountEventListener;
}

/**
 * Records the contacts given at the counter on the Patient, as the holder's own confirmed in person, in the caller's
 * transaction: a former guardian's contact of the other channel goes too once the holder is an adult who had guardians
 * (it is not his, and would keep receiving his notices), and every contact removed is told (`contact-changed`).
 */
async function recordCounterContacts(svc: FhirService, ctx: RequestContext, repo: FhirService['repo'], input: { patientId: string; previous: Patient; versionId: number; contacts: CounterContact[]; at: Date; options: IssueActivationOptions }): Promise<void> {
  const { patientId, previous, contacts, at, options } = input;
  const tx = options.connection(repo);
  const policy = await loadCredentialContactPolicy(tx, patientId, previous, at);
  const given = contacts.find((c) => policy.isGuardians({ system: c.system === 'email' ? 'email' : 'sms', value: c.value }));
  if (given) throw unprocessable(`Parameter "${given.system === 'email' ? 'email' : 'mobile'}": ce contact est celui d’un parent ou représentant légal du dossier ; indiquez une adresse e-mail ou un numéro de mobile personnel du titulaire.`);
  const next = patientWithCounterContacts(previous, contacts, (t) => policy.adultWhoHadRepresentatives && policy.isGuardians(t));
  svc.validate(next);
  let marker = '';
  for (const contact of contacts) marker = await storeConfirmedContact(tx, { patientId, contact, now: at });
  // The one write of the Assurance Maladie on a Patient: its contacts, marked for this Patient on a copy of the context.
  const state = ctx.state.copy();
  state.set(CONFIRMED_CONTACT_STATE, patientId);
  state.set(COUNTER_CONTACT_STATE, patientId);
  await repo.update({ ...ctx, access: TRUE, state }, next, { ifMatch: input.versionId });
  for (const channel of ['email', 'sms'] as const) {
    const to = removedContacts(previous.telecom ?? [], next.telecom ?? []).filter((r) => r.channel === channel);
    if (to.length) await options.send(tx, { kind: 'contact-changed', key: marker, patientId, facts: { at, contact: channel, atCounter: true }, to });
  }
}

async function issueActivation(svc: FhirService, ctx: RequestContext, req: FhirRequest, patientId: string, options: IssueActivationOptions): Promise<FhirResponse> {
  // The counter procedure: the Assurance Maladie checks the person's identity papers at its counter (as for
  // `$update-identity`), then hands him a code on paper. Nobody else: a code sets the record's password, and the
  // contact given here becomes one where such codes may go.
  if (!isAssuranceMaladie(actorOf(ctx))) throw forbidden('Only the Assurance Maladie, at its counters after checking the person\'s identity, issues a new activation code');
  // Its tokens grant creation only: a counter's client may open records (Patient creation); a care-history feeder's
  // client (DocumentReference only) issues no codes (attack sweep 5, scopes).
  if (!scopesAllow(actorOf(ctx).scopes, 'c', 'Patient')) throw forbidden('The token\'s scopes do not grant create on Patient');
  const contacts = parseCounterContacts(req.body);
  const at = (options.clock ?? (() => new Date()))();
  const issue = () => svc.repo.transaction(async (repo) => {
    // The Assurance Maladie cannot read the record: the operation looks at this one Patient as the server.
    const row = await repo.readRow({ ...ctx, access: TRUE }, 'Patient', patientId);
    if (!row || row.deleted || !row.text) throw notFound(`Patient/${patientId} not found`);
    const previous = JSON.parse(row.text) as Patient;
    if (previous.active === false) throw unprocessable('Ce dossier est fermé : son titulaire le réactive d’abord (Patient/$reactivate).');
    if (contacts.length) await recordCounterContacts(svc, ctx, repo, { patientId, previous, versionId: row.versionId, contacts, at, options });
    // Without a contact given here, on paper only: the record's contact may be a former guardian's.
    const to = contacts.map((c) => ({ channel: c.system, address: c.value }));
    const send: AccountNoticeSender = async (tx, notice) => (to.length ? options.send(tx, { ...notice, to }) : false);
    return (await issueActivationCode(options.connection(repo), { patientId, now: at, send, renewed: true, issuedBy: codeIssuer(actorOf(ctx)) })).code;
  });
  let code: string;
  try {
    code = await issue();
  } catch (err) {
    // A refused recording of an existing record's contact (a guardian's contact, a closed record) is in its trail too.
    if (contacts.length && err instanceof FhirError && err.status !== 404) {
      await options.onEvent?.(ctx, { patientId, event: 'contact-confirmed-in-person', success: false, reason: err.message });
    }
    throw err;
  }
  if (contacts.length) await options.onEvent?.(ctx, { patientId, event: 'contact-confirmed-in-person', success: true });
  // The answer says what was done, not the record; the code, once, to print (never stored in clear, never shown again).
  const where = contacts.length ? `printed and sent to the contact given (${contacts.map((c) => c.system).join(', ')}), recorded as the holder's own` : 'handed over on paper only';
  const outcome = outcomeOf('information', 'informational', `A new activation code was issued for Patient/${patientId} (valid 30 days, ${where})`);
  return { status: 200, json: JSON.stringify(outcome), headers: { [ACTIVATION_CODE_HEADER]: code, 'Cache-Control': 'no-store' } };
}

/**
 * `POST Patient/{id}/$issue-activation` (optional Parameters `email`, `mobile`): the Assurance Maladie counter
 * procedure for a person who has no way to sign in (a young adult whose record's contact is a parent's, a lost paper
 * code): a new activation code, answered once in `X-Activation-Code` to be printed. A contact given there is recorded
 * as the holder's own, confirmed in person, and the code goes there too; otherwise it is never sent.
 */
export function issueActivationOperation(options: IssueActivationOptions): OperationDefinitionEntry {
  return {
    name: ISSUE_ACTIVATION,
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    // Declared so that the pipeline grants this one write (closed by default: write-grants.ts).
    writes: [{ resourceType: 'Patient', writes: ['update'] }],
    handler: (svc, ctx, req, target) => issueActivation(svc, ctx, req, target.id as string, options),
    documentation: 'Assurance Maladie counter: issues a new activation code for a record, answered once in X-Activation-Code to be printed; optional Parameters email, mobile record the holder\'s own contact (confirmed in person), where the code is sent too',
  };
}
