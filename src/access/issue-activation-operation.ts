import type { ConnectionOf } from '../store/scoped-repository';
import type { Patient } from '@medplum/fhirtypes';
import { issueActivationCode } from '../auth/activation';
import type { RequestContext } from '../fhir/context';
import { forbidden, notFound, outcomeOf, unprocessable } from '../fhir/errors';
import type { FhirResponse } from '../fhir/request';
import type { FhirService, OperationDefinitionEntry } from '../fhir/service';
import { TRUE } from '../store/sql';
import { actorOf } from './access-hooks';
import { isAssuranceMaladie } from './actor';
import { ACTIVATION_CODE_HEADER } from './activation-hooks';

export const ISSUE_ACTIVATION = '$issue-activation';

async function issueActivation(svc: FhirService, ctx: RequestContext, patientId: string, clock: () => Date, connection: ConnectionOf): Promise<FhirResponse> {
  // The counter procedure: the Assurance Maladie checks the person's identity papers at its counter (as for
  // `$update-identity`), then hands him a code on paper. Nobody else: a code sets the record's password.
  if (!isAssuranceMaladie(actorOf(ctx))) throw forbidden('Only the Assurance Maladie, at its counters after checking the person\'s identity, issues a new activation code');
  return svc.repo.transaction(async (repo) => {
    // The Assurance Maladie cannot read the record: the operation looks at this one Patient as the server.
    const row = await repo.readRow({ ...ctx, access: TRUE }, 'Patient', patientId);
    if (!row || row.deleted || !row.text) throw notFound(`Patient/${patientId} not found`);
    if ((JSON.parse(row.text) as Patient).active === false) throw unprocessable('Ce dossier est fermé : son titulaire le réactive d’abord (Patient/$reactivate).');
    // On paper only: the record's contact may be a former guardian's (the very case of a young adult without a contact
    // of his own), and the person is at the counter.
    const { code } = await issueActivationCode(connection(repo), { patientId, now: clock(), send: async () => false, renewed: true });
    // The answer says what was done, not the record; the code, once, to print (never stored in clear, never shown again).
    const outcome = outcomeOf('information', 'informational', `A new activation code was issued for Patient/${patientId} (valid 30 days, handed over on paper only)`);
    return { status: 200, json: JSON.stringify(outcome), headers: { [ACTIVATION_CODE_HEADER]: code, 'Cache-Control': 'no-store' } };
  });
}

/**
 * `POST Patient/{id}/$issue-activation`: the Assurance Maladie counter procedure for a person who has no way to sign in
 * (a young adult whose record has no contact of his own at the majority hand-over, a lost paper code): a new
 * activation code, answered once in `X-Activation-Code` to be printed and handed over; never sent to the record's contact.
 */
export function issueActivationOperation(options: { clock?: () => Date; connection: ConnectionOf }): OperationDefinitionEntry {
  return {
    name: ISSUE_ACTIVATION,
    level: 'instance',
    resourceType: 'Patient',
    methods: ['POST'],
    handler: (svc, ctx, _req, target) => issueActivation(svc, ctx, target.id as string, options.clock ?? (() => new Date()), options.connection),
    documentation: 'Assurance Maladie counter: issues a new activation code for a record, answered once in X-Activation-Code to be printed',
  };
}
