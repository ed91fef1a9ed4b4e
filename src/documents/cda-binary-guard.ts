import type { Binary, Bundle } from '@medplum/fhirtypes';
import { SYSTEM_STATE } from '../access/access-hooks';
import type { Hooks, RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { StateKey } from '../fhir/request-state';
import { looksLikeXmlCda } from './cda-body';
import { sha1Base64 } from './mhd-submission';

/** SHA-1 (base64) of the CDA documents of the request that were checked against their record. */
const CDA_CHECKED = new StateKey<Set<string>>('documents.cda-checked');

/** Marks a CDA document (by the SHA-1 of its bytes) as checked: its header's patient is its document's subject. */
export function markCdaDigestChecked(ctx: RequestContext, sha1: string): void {
  ctx.state.getOrSet(CDA_CHECKED, () => new Set<string>()).add(sha1);
}

/**
 * Marks the new Binaries of an expanded submission as checked (`expandSubmission` refused any CDA it could not check
 * against its DocumentReference's subject). Only those contents: a PATCH entry of the same transaction that puts a CDA
 * document into another Binary is still refused.
 */
export function markCdaChecked(ctx: RequestContext, bundle: Bundle): void {
  for (const entry of bundle.entry ?? []) {
    const binary = entry.resource?.resourceType === 'Binary' ? (entry.resource as Binary) : undefined;
    if (!binary?.data || !entry.fullUrl || entry.request?.method !== 'POST') continue;
    const bytes = Buffer.from(binary.data, 'base64');
    if (looksLikeXmlCda(bytes)) markCdaDigestChecked(ctx, sha1Base64(bytes));
  }
}

/**
 * A CDA document enters a record through a submission (ITI-65, ITI-105, `$import`), where the patient its header names
 * is checked against the record (`subject-identity.ts`, `patient-match.ts`). Written as a Binary on its own — a plain
 * create (JSON or raw bytes), an update or patch of a Binary, a batch entry — it would be filed unread in whatever record
 * its document is in: another person's report in this record (attack sweep 5). Such a write by a token actor is refused
 * with 422; the server's own writes (imports, replacements) are not concerned.
 */
export function cdaBinaryGuard(): Hooks {
  return {
    async beforeWrite(_tx, ctx, event) {
      if (event.resourceType !== 'Binary' || event.interaction === 'delete' || !event.binaryData) return;
      if (ctx.state.get(SYSTEM_STATE) === true || !looksLikeXmlCda(event.binaryData)) return;
      if (ctx.state.get(CDA_CHECKED)?.has(sha1Base64(event.binaryData))) return;
      const text = 'Binary.data is a CDA document: a CDA document enters the DMP in a document submission (ITI-65, ITI-105 or $import), where the patient its header names is checked against the record; it is not written as a Binary on its own';
      throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: ['Binary.data'] }]);
    },
  };
}
