import type { DocumentReference } from '@medplum/fhirtypes';
import { SET_ID_EXTENSION, VERSION_NUMBER_EXTENSION } from '../cda/code-systems';
import type { RequestContext } from '../fhir/context';
import type { FhirService } from '../fhir/service';

/**
 * The current document of the same CDA set (`setId`) and patient with a lower version number: the fallback
 * link when a RPLC parent id is not in this server (CDA producers do not always send the parent's exact id; the
 * set id and version number chain the versions). Undefined when none, or when several would qualify.
 */
export async function previousVersionInSet(svc: FhirService, ctx: RequestContext, doc: DocumentReference, patientReference: string | undefined): Promise<string | undefined> {
  const setId = doc.extension?.find((e) => e.url === SET_ID_EXTENSION)?.valueIdentifier;
  const version = doc.extension?.find((e) => e.url === VERSION_NUMBER_EXTENSION)?.valueInteger;
  const patientId = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(patientReference ?? '')?.[1];
  if (!setId?.system || !setId.value || version === undefined || !patientId) return undefined;
  const probe = JSON.stringify({ status: 'current', extension: [{ url: SET_ID_EXTENSION, valueIdentifier: { system: setId.system, value: setId.value } }] });
  const lookup = ctx.lookupAccess ?? ctx.access;
  const rows = (await svc.repo.findDocuments({ ...ctx, access: lookup }, { patientId, contains: probe, limit: 3 })) as { id: string; content: DocumentReference | string }[];
  const older = rows.filter((row) => {
    const content = typeof row.content === 'string' ? (JSON.parse(row.content) as DocumentReference) : row.content;
    const v = content.extension?.find((e) => e.url === VERSION_NUMBER_EXTENSION)?.valueInteger;
    return v !== undefined && v < version;
  });
  return older.length === 1 ? older[0].id : undefined;
}
