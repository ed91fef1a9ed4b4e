import type { DocumentReference } from '@medplum/fhirtypes';

/**
 * The local Binary an attachment url names (`Binary/<id>`, relative or absolute), or undefined. One reading for the
 * store (adoption), the access rules (who may name which Binary) and the portal (where a document's content is), so
 * the three can never disagree on which Binary a document points at.
 */
export function binaryIdOfUrl(url: string | undefined): string | undefined {
  return /(?:^|\/)Binary\/([A-Za-z0-9\-.]{1,64})$/.exec(url ?? '')?.[1];
}

/** The Binaries a DocumentReference's content points at, in content order. */
export function documentBinaryIds(doc: Pick<DocumentReference, 'content'> | undefined): string[] {
  return (doc?.content ?? []).map((c) => binaryIdOfUrl(c.attachment?.url)).filter((x): x is string => !!x);
}
