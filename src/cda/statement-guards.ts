import { at, attr, childrenNamed } from './cda-node';
import { CLINICAL_STATEMENTS } from './mappers/entry-mapper';
import type { EntryLocation, MappingContext } from './mapping-context';
import type { XmlNode } from './xml-tree';

/**
 * Why a clinical statement cannot be turned into a fact about the patient before any mapper reads it, or undefined.
 * Each of these was read as an ordinary statement by the mappers, which never looked at the attribute concerned:
 * - a `negationInd` other than the `bl` literals: negated or not is unknown;
 * - `statusCode="nullified"`: the statement was entered in error (HL7 v3 ActStatus), it states nothing;
 * - a `subject` participation (`relatedSubject`: mother, fetus, a relative; XD-LAB non-human subject): the
 *   statement is about someone or something else than the recordTarget, unless the role is the patient himself
 *   (RoleCode ONESELF);
 * - a `valueNegationInd` (CDA R2.1, SDTC): the value is negated ("no fever"), which no mapper represents;
 * - an `uncertaintyCode` other than N (`uncertaintyOf`), unless the mapper reads it (`options.uncertaintyRead`).
 * The statement is then reported as unmapped, with the reason in a warning; its parts are not opened either.
 */
export function statementRefusal(statement: XmlNode, options: { uncertaintyRead?: boolean } = {}): string | undefined {
  const negation = unreadableNegation(statement);
  if (negation !== undefined) return `negationInd="${negation}" is neither true nor false, so whether the statement is negated is unknown`;
  if (attr(at(statement, 'statusCode'), 'code') === 'nullified') return 'statusCode "nullified": the statement was entered in error';
  const subject = otherSubject(statement);
  if (subject !== undefined) return `its subject is not the patient (${subject})`;
  const valueNegation = Object.entries(statement.attrs).find(([name]) => name === 'valueNegationInd' || name.endsWith(':valueNegationInd'));
  if (valueNegation && valueNegation[1].trim() !== 'false') return `${valueNegation[0]}="${valueNegation[1]}": its value is negated`;
  const uncertainty = uncertaintyOf(statement);
  if (uncertainty !== undefined && !options.uncertaintyRead) return `uncertaintyCode="${uncertainty}": stated with uncertainty, which this kind of statement cannot carry`;
  return undefined;
}

/**
 * The statement's `uncertaintyCode` when it is not `N` (HL7 ActUncertainty: "stated with no assertion of
 * uncertainty"), else undefined. `U` ("stated with uncertainty": a suspected diagnosis, a vaccination the patient
 * thinks he had) was never read: the statement became a fact. Only a Condition or an AllergyIntolerance can say it
 * (`verificationStatus` unconfirmed, `EntryMapper.readsUncertainty`); any other statement is not represented.
 */
export function uncertaintyOf(statement: XmlNode): string | undefined {
  const code = attr(at(statement, 'uncertaintyCode'), 'code') ?? (at(statement, 'uncertaintyCode') ? 'unreadable' : undefined);
  return code === undefined || code === 'N' ? undefined : code;
}

/**
 * The role of the `subject` participation of a statement or section that is not the patient himself (its RoleCode,
 * else its class), or undefined when there is none. CDA: "the subject of the act, when it is not the recordTarget".
 */
export function otherSubject(node: XmlNode): string | undefined {
  for (const subject of childrenNamed(node, 'subject')) {
    const related = at(subject, 'relatedSubject');
    const role = attr(at(related, 'code'), 'code');
    if (role === 'ONESELF') continue;
    return role ?? attr(related, 'classCode') ?? 'unidentified subject';
  }
  // The same said as a participation of type SBJ (ParticipationType "subject"), a relative's or a device's role.
  for (const participant of childrenNamed(node, 'participant').filter((p) => attr(p, 'typeCode') === 'SBJ')) {
    const role = at(participant, 'participantRole');
    const code = attr(at(role, 'code'), 'code');
    if (code === 'ONESELF' || attr(role, 'classCode') === 'PAT') continue;
    return code ?? attr(role, 'classCode') ?? 'unidentified subject';
  }
  return undefined;
}

/**
 * The first `negationInd` in the statement (itself or any element inside it) that is neither "true" nor "false" (the
 * CDA `bl` literals). The mappers ask `negationInd === "true"`: `"1"` or `"TRUE"` read as not negated, and a vaccine
 * the document said was not given became a vaccination done. A statement whose negation cannot be read is not turned
 * into a fact either way.
 */
function unreadableNegation(node: XmlNode): string | undefined {
  const value = node.attrs.negationInd;
  if (value !== undefined && value !== 'true' && value !== 'false') return value;
  for (const child of node.children) {
    const inner = unreadableNegation(child);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** A statement inside another one (a status, a qualifier, a reason) left out, and why. */
export interface RefusedPart {
  node: XmlNode;
  /** Its body path, `<statement path>.r<k>` (k counts the clinical statements of the entryRelationships, as the walker does). */
  path: string;
  refusal: string;
  /** Negated (`negationInd="true"` or a `valueNegationInd`): the document states the opposite of its value. */
  negated: boolean;
}

/**
 * Why a statement nested in another cannot be read as the part it plays (a status, a certainty, a prescription's
 * qualifier, a reason), or undefined: the guards of `statementRefusal`, plus `negationInd="true"` (the part states the
 * opposite of its value, which no mapper represents) and a mood other than `moods` ('any': the part's mood is its own,
 * an instruction in INT, a permission in DEF).
 */
export function partRefusal(part: XmlNode, moods: readonly string[] | 'any' = ['EVN']): string | undefined {
  if (part.attrs.negationInd === 'true') return 'negated (negationInd="true")';
  const refusal = statementRefusal(part);
  if (refusal !== undefined) return refusal;
  const mood = part.attrs.moodCode?.trim() || 'EVN';
  return moods === 'any' || moods.includes(mood) ? undefined : `in mood ${mood}`;
}

/**
 * The statement without the parts a mapper would read as facts but that cannot be (negated, entered in error, about
 * someone else, in another mood than the one meant), and those parts. `guarded` says which parts are checked and in
 * which moods they are meant (undefined: not checked, kept as they are). The mappers then read the statement as if
 * the refused parts were not written; the caller reports them.
 */
export function withoutRefusedParts(
  statement: XmlNode, path: string, guarded: (part: XmlNode, relation: XmlNode) => readonly string[] | 'any' | undefined,
): { kept: XmlNode; refused: RefusedPart[] } {
  const refused: RefusedPart[] = [];
  const droppedRelations = new Set<XmlNode>();
  let k = 0;
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    for (const part of relation.children.filter((c) => CLINICAL_STATEMENTS.has(c.name))) {
      k++;
      const moods = guarded(part, relation);
      const refusal = moods === undefined ? undefined : partRefusal(part, moods);
      if (refusal === undefined) continue;
      const valueNegated = Object.entries(part.attrs).some(([n, v]) => (n === 'valueNegationInd' || n.endsWith(':valueNegationInd')) && v.trim() !== 'false');
      refused.push({ node: part, path: `${path}.r${k}`, refusal, negated: part.attrs.negationInd === 'true' || valueNegated });
      droppedRelations.add(relation);
    }
  }
  if (!refused.length) return { kept: statement, refused };
  // A shallow copy: the parts kept are the same nodes, so narrative references and paths read as before.
  const keep = (c: XmlNode | string) => typeof c === 'string' || !droppedRelations.has(c);
  return { kept: { ...statement, children: statement.children.filter(keep), content: statement.content.filter(keep) }, refused };
}

/** Reports each refused part as unmapped content of the entry's section, with the reason in a warning. */
export function reportRefusedParts(ctx: MappingContext, location: EntryLocation, refused: RefusedPart[], what: (part: XmlNode) => string, consequence = 'not represented'): void {
  for (const part of refused) {
    ctx.warnings.push(`Entry ${part.path}: ${what(part.node)}: ${part.refusal}; ${consequence}`);
    ctx.unmapped.add(location.section, part.node, part.path);
  }
}

/**
 * Why an observation stating a diagnosis or an allergy was never made, or undefined: `statusCode` cancelled (abandoned
 * before it began) or aborted (ended before it was completed), HL7 ActStatus. Condition and AllergyIntolerance have no
 * status for "this statement was not made"; both became a confirmed, active fact.
 */
export function unmadeObservation(statement: XmlNode): string | undefined {
  const status = attr(at(statement, 'statusCode'), 'code');
  return status === 'cancelled' || status === 'aborted' ? `statusCode "${status}": the observation was not made` : undefined;
}
