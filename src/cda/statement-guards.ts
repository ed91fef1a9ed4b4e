import { at, attr, childrenNamed } from './cda-node';
import type { XmlNode } from './xml-tree';

/**
 * Why a clinical statement cannot be turned into a fact about the patient before any mapper reads it, or undefined.
 * Each of these was read as an ordinary statement by the mappers, which never looked at the attribute concerned:
 * - a `negationInd` other than the `bl` literals: negated or not is unknown;
 * - `statusCode="nullified"`: the statement was entered in error (HL7 v3 ActStatus), it states nothing;
 * - a `subject` participation (`relatedSubject`: mother, fetus, a relative; XD-LAB non-human subject): the
 *   statement is about someone or something else than the recordTarget, unless the role is the patient himself
 *   (RoleCode ONESELF);
 * - a `valueNegationInd` (CDA R2.1, SDTC): the value is negated ("no fever"), which no mapper represents.
 * The statement is then reported as unmapped, with the reason in a warning; its parts are not opened either.
 */
export function statementRefusal(statement: XmlNode): string | undefined {
  const negation = unreadableNegation(statement);
  if (negation !== undefined) return `negationInd="${negation}" is neither true nor false, so whether the statement is negated is unknown`;
  if (attr(at(statement, 'statusCode'), 'code') === 'nullified') return 'statusCode "nullified": the statement was entered in error';
  const subject = otherSubject(statement);
  if (subject !== undefined) return `its subject is not the patient (${subject})`;
  const valueNegation = Object.entries(statement.attrs).find(([name]) => name === 'valueNegationInd' || name.endsWith(':valueNegationInd'));
  if (valueNegation && valueNegation[1].trim() !== 'false') return `${valueNegation[0]}="${valueNegation[1]}": its value is negated`;
  return undefined;
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
