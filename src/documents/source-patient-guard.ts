import type { Identifier, Patient, Reference, Resource } from '@medplum/fhirtypes';
import { SYSTEM_STATE } from '../access/access-hooks';
import type { Hooks, RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { StateKey } from '../fhir/request-state';
import { sql } from '../store/sql';
import { INS_SYSTEMS } from '../validation/ins';
import { traitConflicts } from './identity-traits';
import { deferIdentityRefusal } from './identity-verdict';

/** Set by `$import`: its DocumentReference's source patient is the CDA header's, which was matched to the record. */
const IMPORT_PLAN = new StateKey<true>('documents.import-plan');

/** Marks a `$import` request: the source patient of what it writes is the CDA header's, already matched. */
export function markImportPlan(ctx: RequestContext): void {
  ctx.state.set(IMPORT_PLAN, true);
}

/** Where a document's metadata names its source's patient, and how it names him. */
interface SourcePatient {
  path: string;
  /** Every INS value it carries (a contained Patient's, or an identifier's). */
  ins: string[];
  /** A Patient it names by reference, other than a contained one (`Patient/<id>`). */
  patientId?: string;
  /** A contained Patient's identity traits (the source's snapshot: birth date, sex, birth name). */
  traits?: Patient;
}

const isSourcePatientId = (url: string | undefined) => /(^|\/)ihe-sourcePatientId$/.test(url ?? '');
const insOf = (identifiers: (Identifier | undefined)[]): string[] =>
  identifiers.filter((i): i is Identifier => !!i && INS_SYSTEMS.includes(i.system ?? '') && !!i.value).map((i) => i.value as string);

/** A reference to the source's patient: contained (`#id`, read with the contained Patients), literal, or by identifier. */
function namedBy(reference: Reference | undefined, path: string): SourcePatient[] {
  if (!reference) return [];
  const literal = /(?:^|\/)Patient\/([^/]+)$/.exec(reference.reference ?? '')?.[1];
  const ins = insOf([reference.identifier]);
  return literal || ins.length ? [{ path, ins, patientId: literal }] : [];
}

/**
 * Every place the metadata of a DocumentReference or SubmissionSet List names the source's patient: its contained
 * Patients, `context.sourcePatientInfo` and the `ihe-sourcePatientId` extension, as a reference (literal or by
 * identifier) or an Identifier.
 */
function sourcePatientsOf(resource: Resource | undefined): SourcePatient[] {
  if (resource?.resourceType !== 'DocumentReference' && resource?.resourceType !== 'List') return [];
  const type = resource.resourceType;
  const found: SourcePatient[] = [];
  (resource.contained ?? []).forEach((c, i) => {
    if (c.resourceType === 'Patient') found.push({ path: `${type}.contained[${i}]`, ins: insOf(c.identifier ?? []), traits: c });
  });
  if (type === 'DocumentReference') found.push(...namedBy(resource.context?.sourcePatientInfo, 'DocumentReference.context.sourcePatientInfo'));
  (resource.extension ?? []).forEach((e, i) => {
    if (!isSourcePatientId(e.url)) return;
    const path = `${type}.extension[${i}]`;
    found.push(...namedBy(e.valueReference, path));
    const ins = insOf([e.valueIdentifier]);
    if (ins.length) found.push({ path, ins });
  });
  return found;
}

const refuse = (path: string, text: string) =>
  unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [path] }]);

/**
 * The patient a document's metadata names — the contained Patient of a DocumentReference (`context.sourcePatientInfo`)
 * or of a SubmissionSet List (`ihe-sourcePatientId`), or the INS or Patient these name by reference or identifier — is
 * the record's: no INS that the record it is filed in does not carry (attack sweep 5: a PDF filed in p1 with p2's INS
 * there was accepted, and p1's readers then read p2's INS), no other Patient, and a contained snapshot whose birth
 * date, sex and birth name agree with the record (attack sweep 11: the same INS written as `sourcePatientInfo.identifier`
 * or as the extension's `valueIdentifier` instead of a contained Patient, `sourcePatientInfo` naming `Patient/p2`, and a
 * snapshot of another person under the record's INS, were all filed). Every channel (ITI-65, ITI-105, a plain create,
 * update or patch) meets it: 422 naming the element; the answer does not say whether that INS or Patient has a record
 * here, nor what the record's traits are. The server's own writes and `$import` (whose source patient is the CDA
 * header's, matched to the record) are not concerned.
 */
export function sourcePatientGuard(): Hooks {
  return {
    async beforeWrite(tx, ctx, event) {
      if (event.interaction === 'delete' || ctx.state.get(SYSTEM_STATE) === true || ctx.state.get(IMPORT_PLAN) === true) return;
      const named = sourcePatientsOf(event.resource);
      if (!named.length) return;
      // A change that leaves the source's patient as stored (a TD3.3 label PATCH …) is not a filing: judged when written.
      if (event.previous && JSON.stringify(sourcePatientsOf(event.previous as Resource)) === JSON.stringify(named)) return;
      const { rows } = event.compartment
        ? await tx.query<{ text: string }>(sql`SELECT text FROM resource WHERE type = 'Patient' AND id = ${event.compartment} AND NOT deleted`)
        : { rows: [] };
      const record = rows[0] ? (JSON.parse(rows[0].text) as Patient) : undefined;
      const own = new Set((record?.identifier ?? []).filter((i) => INS_SYSTEMS.includes(i.system ?? '')).map((i) => i.value));
      const filed = `the record this ${event.resourceType} is filed in (its subject)`;
      // In a submission, the SubmissionSet is written before its DocumentReference's author is judged: answered at once,
      // each comparison told an author the patient never authorised what the record holds — its traits, and whether an
      // INS or a Patient id is the record's (422) or not (403 from the author check that followed): held until the
      // filing's writes are authorised (identity-verdict.ts). Outside a filing, this write was authorised already.
      for (const source of named) {
        const foreign = source.ins.find((value) => !own.has(value));
        const conflicts = source.traits && record ? traitConflicts(source.traits, record).map((c) => c.trait) : [];
        const refusal =
          foreign !== undefined ? `${source.path}: the source's patient carries the INS ${foreign}, which is not the INS of ${filed}`
          : source.patientId !== undefined && source.patientId !== event.compartment ? `${source.path} names Patient/${source.patientId} as the source's patient, not ${filed}`
          : conflicts.length ? `${source.path}: the source's patient does not agree with ${filed} (${conflicts.join(', ')})`
          : undefined;
        if (refusal === undefined) continue;
        deferIdentityRefusal(ctx, () => {
          throw refuse(source.path, `${refusal}: a document is filed only in the record of the patient it names`);
        });
      }
    },
  };
}
