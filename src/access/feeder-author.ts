import type { Resource } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { forbidden } from '../fhir/errors';
import type { Statements } from '../store/db';
import { deriveColumns } from '../store/derived-columns';
import { sql } from '../store/sql';
import type { AllowPlan } from './access-plan';
import { compileCompartmentWrite } from './compile-access';
import { expandPractitionerKeys } from './treating-physician';

const NO_INDEX = { tokens: [], strings: [], dates: [], references: [], quantities: [] };

/** Author keys of a DocumentReference as the store derives them (`Practitioner/<id>`, `<system>|<value>`). */
function documentAuthorKeys(resource: Resource): string[] {
  return deriveColumns(resource, NO_INDEX).authors;
}

/**
 * DESIGN §4: a feeding system (hospital, lab) creates documents on behalf of an author the patient authorised
 * (or the treating physician). The document's authors, in every form the directory knows them, must be allowed
 * to write into the record; otherwise 403. The Assurance Maladie feed is not concerned.
 */
export async function assertFeederAuthorAuthorised(tx: Statements, plan: AllowPlan, event: WriteEvent): Promise<void> {
  const patientId = event.compartment;
  if (!patientId || !event.resource) return;
  const keys = [...(await expandPractitionerKeys(tx, documentAuthorKeys(event.resource)))];
  if (keys.length) {
    const asAuthor: AllowPlan = { ...plan, directory: false, feed: undefined, own: undefined, professional: { keys, mode: 'treat' } };
    const { rows } = await tx.query<{ ok: boolean }>(sql`SELECT ${compileCompartmentWrite(asAuthor, patientId)} AS ok`);
    if (rows[0]?.ok === true) return;
  }
  throw forbidden('A feeding system submits documents on behalf of their author: DocumentReference.author must name the treating physician or a professional the patient authorised');
}
