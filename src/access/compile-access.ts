import { ownIndexRows } from '../store/index-rows-source';
import { and as andParts, FALSE, or as orParts, raw, sql, type Sql } from '../store/sql';
import { INVISIBLE_TO_GUARDIANS, MASKED_FROM_PROFESSIONALS, PATIENT_ONLY_TYPES, type AccessPlan, type AllowPlan } from './access-plan';
import { DIRECTORY_TYPES } from './resource-classes';
import type { TokenCondition } from './scope-constraints';

// The builder's and/or parenthesise each operand but not the whole (`(a) OR (b)`): wrap them so the result
// composes safely after AND / NOT.
const and = (parts: Sql[]): Sql => (parts.length > 1 ? sql`(${andParts(parts)})` : andParts(parts));
const or = (parts: Sql[]): Sql => (parts.length > 1 ? sql`(${orParts(parts)})` : orParts(parts));

// Building blocks over the derived tables of migrations 020 and 090. `c` is the compartment (Patient id) expression:
// `r.compartment` for row filters, a bound value for write checks.

const openRecord = (c: Sql): Sql => sql`EXISTS (SELECT 1 FROM access_consent ao WHERE ao.patient_id = ${c} AND ao.kind = 'open')`;
const notClosed = (c: Sql): Sql => sql`NOT EXISTS (SELECT 1 FROM access_record ac WHERE ac.patient_id = ${c} AND ac.closed)`;
const isTreating = (c: Sql, keys: string[]): Sql =>
  sql`EXISTS (SELECT 1 FROM access_record atp WHERE atp.patient_id = ${c} AND atp.treating && ${keys}::text[])`;

function actorRule(kind: 'permit' | 'deny', c: Sql, keys: string[], at: string): Sql {
  return sql`EXISTS (SELECT 1 FROM access_consent ak WHERE ak.patient_id = ${c} AND ak.kind = ${kind} AND ak.actor_key = ANY(${keys}::text[])
    AND (ak.period_start IS NULL OR ak.period_start <= ${at}::timestamptz) AND (ak.period_end IS NULL OR ak.period_end >= ${at}::timestamptz))`;
}

/**
 * The row is governed by a DocumentReference other than itself (its Binary, an extracted resource): a
 * DocumentReference governs itself, and looking itself up again would cost a probe per row of a search.
 */
const governedByOtherRow = raw(`r.doc_id IS NOT NULL AND NOT (r.type = 'DocumentReference' AND r.doc_id = r.id)`);

/**
 * The row, or the DocumentReference governing it, carries one of `codes` (codes may change on the DR only). Only a
 * document of the row's own record governs it: a patient's Consent masking another record's document id (or a row
 * naming one by any other path) was hidden from her when that document was INVISIBLE_PATIENT, which told her that the
 * id exists, in someone's record, with that label.
 */
function carriesCode(codes: string[]): Sql {
  return sql`(r.security && ${codes}::text[] OR (${governedByOtherRow} AND EXISTS (SELECT 1 FROM resource d
    WHERE d.type = 'DocumentReference' AND d.id = r.doc_id AND d.compartment = r.compartment AND d.security && ${codes}::text[])))`;
}
const compartment = raw('r.compartment');

/**
 * The row is an AuditEvent that names documents (or resources they govern) **only** documents carrying one of `codes`:
 * the trail shows nothing of a document hidden from its reader. The event's own row lists the documents it names
 * (`named_documents`, written by the audit writer: `audit/named-documents.ts`, with `''` when it also names something no
 * document governs); their labels are read here, when the trail is read. An event naming a hidden document beside
 * anything else (another document, the Patient, an allergy) is an access its reader may know of: it is read, and served
 * without what is hidden from him (`audit/hidden-entities.ts`). Hidden whole, it let a professional's `$everything`, or
 * any search he made include such a document, vanish from the patient's trail (attack sweep 12b).
 */
function trailNamesDocumentWith(codes: string[]): Sql {
  // coalesce: an event naming no document (NULL) must compare false, not unknown (NOT of unknown hides the row too).
  return sql`(r.type = 'AuditEvent' AND coalesce(cardinality(r.named_documents), 0) > 0 AND NOT EXISTS (SELECT 1 FROM unnest(r.named_documents) AS nd(id)
    WHERE nd.id = '' OR NOT EXISTS (SELECT 1 FROM resource ad
      WHERE ad.type = 'DocumentReference' AND ad.id = nd.id AND ad.compartment = r.compartment AND ad.security && ${codes}::text[])))`;
}

/**
 * The row is an AuditEvent whose agent wrote or authored a document of the record hidden from its legal
 * representatives (INVISIBLE_REPRESENTANTS_LEGAUX): a minor's confidential care (Code de la santé publique L1111-5; the
 * DMP hides such access traces from legal representatives, JDV_J64). His first-access and emergency notices are not
 * sent to the guardians nor shown to them (notify/), and his accesses are not in the trail they read either (attack
 * sweep 5: the trail showed a guardian that Dr X consulted the record, and when). The agent's keys are read from the
 * event's stored text (the compact form's `input.agent`, or a full AuditEvent's `agent[].who`), only for events of a
 * record that holds such a document.
 */
function trailOfConfidentialProfessional(): Sql {
  return sql`(r.type = 'AuditEvent' AND EXISTS (SELECT 1 FROM resource gd
    LEFT JOIN access_writer gw ON gw.type = 'DocumentReference' AND gw.id = gd.id
    WHERE gd.type = 'DocumentReference' AND gd.compartment = r.compartment AND NOT gd.deleted
      AND gd.security && ${[INVISIBLE_TO_GUARDIANS]}::text[]
      AND EXISTS (SELECT 1 FROM (
          SELECT (gi ->> 'system') || '|' || (gi ->> 'value') AS k FROM jsonb_array_elements(coalesce(r.text::jsonb #> '{input,agent,identifiers}', '[]'::jsonb)) gi
          UNION ALL SELECT r.text::jsonb #>> '{input,agent,reference}'
          UNION ALL SELECT (ga #>> '{who,identifier,system}') || '|' || (ga #>> '{who,identifier,value}') FROM jsonb_array_elements(coalesce(r.text::jsonb -> 'agent', '[]'::jsonb)) ga
          UNION ALL SELECT ga #>> '{who,reference}' FROM jsonb_array_elements(coalesce(r.text::jsonb -> 'agent', '[]'::jsonb)) ga
        ) agent_keys WHERE agent_keys.k = ANY(gd.authors) OR agent_keys.k = ANY(coalesce(gw.keys, '{}'::text[])))))`;
}

/**
 * The actor wrote the row, or the DocumentReference governing it (its Binary, resources extracted from it). Only a
 * document of the row's own record counts: a List of record A naming a document of record B (stored before
 * `named-documents.ts` refused it, or by the server itself) was read by that document's author, who had no access to A
 * (attack sweep 10).
 */
function authoredBy(keys: string[]): Sql {
  return sql`(r.authors && ${keys}::text[] OR (${governedByOtherRow} AND EXISTS (SELECT 1 FROM resource da
    WHERE da.type = 'DocumentReference' AND da.id = r.doc_id AND da.compartment = r.compartment AND da.authors && ${keys}::text[])))`;
}

/**
 * The actor is the recorded writer of the DocumentReference the row is or belongs to (`access_writer`, migration 142:
 * his token's keys at create). Provenance makes a professional's document his whether or not its `author` element
 * names him, and the write side (`provenance.ts`) already let him change it: reading only `authors` hid his own
 * author-less document from him once masked, so he could neither read nor update it. Only a professional writer counts
 * (a patient's entries are the record's own; a system never reads). A DocumentReference's `doc_id` is its own id, so one
 * probe covers the document and its parts. Asked last (see `professionalRows`): only a row hidden otherwise pays it.
 */
function writtenBy(keys: string[]): Sql {
  return sql`(r.doc_id IS NOT NULL AND EXISTS (SELECT 1 FROM access_writer dw WHERE dw.type = 'DocumentReference' AND dw.id = r.doc_id
    AND dw.kind = 'practitioner' AND dw.keys && ${keys}::text[])
    AND (NOT (${governedByOtherRow}) OR ${sameRecordDocument(raw('r.doc_id'))}))`;
}

/**
 * The DocumentReference `doc` is of the row's own record. Its author's or writer's grants reach only rows of that
 * record: the row's record is the patient's decision, not the document's (attack sweep 10).
 */
function sameRecordDocument(doc: Sql): Sql {
  return sql`EXISTS (SELECT 1 FROM resource sd WHERE sd.type = 'DocumentReference' AND sd.id = ${doc} AND sd.compartment = r.compartment)`;
}

/**
 * The patient masked document `doc` from this professional by name: a mask nested under a provision naming him
 * (« Dr X authorised, except document d2 »), an exception for him only (migration 224). Looked up in `access_consent`
 * only for records that hold such masks (`a.named_masks`), as rules with a period are.
 */
function maskedForHim(doc: Sql, keys: string[]): Sql {
  return sql`(a.named_masks AND EXISTS (SELECT 1 FROM access_consent am WHERE am.patient_id = a.patient_id AND am.kind = 'mask'
    AND am.doc_id = ${doc} AND am.actor_key = ANY(${keys}::text[])))`;
}

/**
 * The row is a List of several documents (a List of one is governed by it through `doc_id`) naming one the patient
 * masked by Consent (from every professional, or from him by name) that the professional neither authored nor wrote (in that record).
 * Their labels are joined into the List's own at write; a consent mask is read at the request, so it is looked up here,
 * on the List's own `item` index rows (issue 11, sweep 4: a List naming a masked document showed its id to every
 * authorised professional).
 */
function listsMaskedDocument(keys: string[]): Sql {
  const items = ownIndexRows('idx_reference', 'List', raw('r'), raw('li'));
  return sql`(r.type = 'List' AND r.doc_id IS NULL AND (cardinality(a.masked) > 0 OR a.named_masks) AND EXISTS (SELECT 1 FROM ${items.from}
    WHERE ${items.own} AND li.param = 'item' AND li.target_type = 'DocumentReference'
      AND (li.target_id = ANY(a.masked) OR ${maskedForHim(raw('li.target_id'), keys)})
      AND NOT EXISTS (SELECT 1 FROM resource ld WHERE ld.type = 'DocumentReference' AND ld.id = li.target_id AND ld.compartment = r.compartment
        AND ld.authors && ${keys}::text[])
      AND NOT (EXISTS (SELECT 1 FROM access_writer lw WHERE lw.type = 'DocumentReference' AND lw.id = li.target_id
        AND lw.kind = 'practitioner' AND lw.keys && ${keys}::text[]) AND ${sameRecordDocument(raw('li.target_id'))})))`;
}

/**
 * Rows a professional may read. The record's state is read from its one `access_record` row (migration 090
 * summarises the consent rules there): a search page tests every row it returns, and one probe per row with
 * array tests costs a fraction of an aggregate over `access_consent`. Rules with a period are the exception,
 * checked against `access_consent` at the request's instant, and only for records that have such rules.
 */
function professionalRows(plan: AllowPlan): Sql {
  const { keys, mode } = plan.professional!;
  const permitted = sql`(a.permitted && ${keys}::text[] OR (a.timed AND ${actorRule('permit', compartment, keys, plan.at)}))`;
  const denied = sql`(a.denied && ${keys}::text[] OR (a.timed AND ${actorRule('deny', compartment, keys, plan.at)}))`;
  const grant = mode === 'treat' ? permitted : or([permitted, sql`NOT (${mode === 'btg' ? 'BTG' : 'ETREAT'}::text = ANY(a.refused))`]);
  const masked = or([
    sql`(r.doc_id IS NOT NULL AND r.doc_id = ANY(a.masked))`,
    sql`(r.doc_id IS NOT NULL AND ${maskedForHim(raw('r.doc_id'), keys)})`,
    listsMaskedDocument(keys),
    carriesCode([MASKED_FROM_PROFESSIONALS]),
  ]);
  // OR is evaluated in order: the writer's probe comes last, so a row already readable never pays it.
  const ordinary = and([sql`NOT ${denied}`, or([authoredBy(keys), and([grant, sql`NOT ${masked}`]), writtenBy(keys)])]);
  return and([
    sql`r.compartment IS NOT NULL`,
    sql`r.type <> ALL(${PATIENT_ONLY_TYPES}::text[])`,
    sql`EXISTS (SELECT 1 FROM access_record a WHERE a.patient_id = r.compartment AND a.opened AND NOT a.closed
      AND ${or([sql`a.treating && ${keys}::text[]`, ordinary])})`,
  ]);
}

/**
 * Compiles an access plan into the SQL predicate over `resource r` that the store ANDs into every SELECT
 * (read, search and its total, include/revinclude, history joined to its current row, Binary). Fails closed:
 * a deny plan, or a plan with no grant, compiles to FALSE.
 */
export function compileAccess(plan: AccessPlan): Sql {
  if (plan.effect !== 'allow') return FALSE;
  const grants: Sql[] = [];
  // Directory rows by type, never by the absence of a compartment: a clinical row that lost its compartment is
  // nobody's, not everybody's.
  if (plan.directory) grants.push(sql`(r.type = ANY(${DIRECTORY_TYPES}::text[]) AND r.compartment IS NULL)`);
  if (plan.own && plan.own.patientIds.length) {
    const own = sql`r.compartment = ANY(${plan.own.patientIds}::text[])`;
    const hidden = plan.own.hiddenCodes;
    const guardianHides = hidden.includes(INVISIBLE_TO_GUARDIANS) ? [sql`NOT ${trailOfConfidentialProfessional()}`] : [];
    grants.push(hidden.length ? and([own, sql`NOT ${carriesCode(hidden)}`, sql`NOT ${trailNamesDocumentWith(hidden)}`, ...guardianHides]) : own);
  }
  if (plan.professional && plan.professional.keys.length) grants.push(professionalRows(plan));
  if (plan.readableTypes) return and([readableByScopes(plan), or(grants)]);
  return or(grants);
}

/** One condition of a constrained scope, on the row's own token index rows (what a search on it would match). */
function meetsCondition(type: string, c: TokenCondition): Sql {
  const system = c.system === undefined ? raw('TRUE') : sql`sc.system = ${c.system}`;
  const rows = ownIndexRows('idx_token', type, raw('r'), raw('sc'));
  return sql`EXISTS (SELECT 1 FROM ${rows.from} WHERE ${rows.own} AND sc.param = ${c.param}
    AND sc.code = ${c.code} AND ${system})`;
}

/**
 * The rows the token's scopes let the actor read: whole types, or a type's rows meeting one of its constrained
 * scopes (SMART v2 `patient/Observation.rs?category=…`). ANDed with the consent grants, so scopes only narrow.
 */
function readableByScopes(plan: AllowPlan): Sql {
  const parts: Sql[] = [sql`r.type = ANY(${plan.readableTypes}::text[])`];
  for (const [type, constraints] of Object.entries(plan.constrainedTypes ?? {})) {
    parts.push(and([sql`r.type = ${type}`, or(constraints.map((c) => and(c.map((condition) => meetsCondition(type, condition)))))]));
  }
  return or(parts);
}

function identityRows(): Sql {
  return sql`(r.type = 'Patient' AND EXISTS (SELECT 1 FROM access_record a WHERE a.patient_id = r.id AND a.opened AND NOT a.closed))`;
}

/**
 * Predicate for resolving a patient while writing (conditional references such as `Patient?identifier=…` in an
 * ITI-65 bundle): the read predicate, widened for feeders (Assurance Maladie included) to Patient rows of
 * records that are not closed. It exposes identity only, never clinical rows.
 */
export function compilePatientLookup(plan: AccessPlan): Sql {
  if (plan.effect !== 'allow') return FALSE;
  if (!plan.feed) return compileAccess(plan);
  const patients = plan.feed.requireOpen ? identityRows() : and([sql`r.type = 'Patient'`, notClosed(raw('r.id'))]);
  return or([compileAccess(plan), patients]);
}

/**
 * Boolean SQL expression: may this plan write into the record of Patient `patientId`? Patient or guardian:
 * their own record; professional: an open, not closed record where he is the treating physician or authorised
 * and not blocked; feeder: a record that is not closed (and open, except for the Assurance Maladie).
 */
export function compileCompartmentWrite(plan: AccessPlan, patientId: string): Sql {
  if (plan.effect !== 'allow') return FALSE;
  const c = sql`${patientId}::text`;
  const grants: Sql[] = [];
  if (plan.own) grants.push(sql`${c} = ANY(${plan.own.patientIds}::text[])`);
  if (plan.professional && plan.professional.keys.length) {
    const { keys } = plan.professional;
    grants.push(
      and([
        openRecord(c),
        notClosed(c),
        or([isTreating(c, keys), and([actorRule('permit', c, keys, plan.at), sql`NOT ${actorRule('deny', c, keys, plan.at)}`])]),
      ]),
    );
  }
  if (plan.feed) grants.push(plan.feed.requireOpen ? and([openRecord(c), notClosed(c)]) : notClosed(c));
  return or(grants);
}
