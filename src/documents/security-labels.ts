import type { CodeableConcept } from '@medplum/fhirtypes';
import type { Operation } from 'fast-json-patch';
import { methodNotAllowed, unprocessable } from '../fhir/errors';

/** HL7 confidentiality codes: a document carries exactly one. */
export const CONFIDENTIALITY_CODES = ['N', 'R', 'V'];
/** DMP visibility flags (TRE_A07, JDV_J58): 0..3 of them beside the confidentiality code. */
export const VISIBILITY_CODES = ['MASQUE_PS', 'INVISIBLE_PATIENT', 'INVISIBLE_REPRESENTANTS_LEGAUX'];
export const VISIBILITY_SYSTEM = 'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';

const codeOf = (label: CodeableConcept | undefined): string | undefined => label?.coding?.find((c) => c.code)?.code;
const isFlag = (label: CodeableConcept | undefined): boolean => VISIBILITY_CODES.includes(codeOf(label) ?? '');
const isConfidentiality = (label: CodeableConcept | undefined): boolean => CONFIDENTIALITY_CODES.includes(codeOf(label) ?? '');

/** Adds a label to the set: a flag joins the others, a confidentiality code replaces the current one. */
function merge(labels: CodeableConcept[], label: CodeableConcept): CodeableConcept[] {
  const code = codeOf(label);
  if (isConfidentiality(label)) return [label, ...labels.filter((l) => !isConfidentiality(l))];
  if (isFlag(label)) return labels.some((l) => codeOf(l) === code) ? labels : [...labels, label];
  throw unprocessable(`Security label "${code ?? '?'}" is not a DMP confidentiality code (N, R, V) or visibility flag (${VISIBILITY_CODES.join(', ')})`);
}

function indexOf(path: string, labels: CodeableConcept[]): number | undefined {
  const m = /^\/securityLabel\/(\d+|-)$/.exec(path);
  if (!m) throw methodNotAllowed(`PATCH may change securityLabel entries as a whole, not "${path}"`);
  if (m[1] === '-') return undefined;
  const i = Number(m[1]);
  if (i > labels.length) throw unprocessable(`${path} is past the end of securityLabel`);
  return i;
}

/**
 * Applies JSON Patch operations on `securityLabel` as operations on a SET (TD3.3, DMP-CONTRACT §1.9.2): adding or
 * replacing with a flag adds that flag and keeps the others; replacing a flag with a confidentiality code (the IG's
 * "unmask" / "show" pattern) removes the flag and keeps the document's confidentiality; replacing the
 * confidentiality code changes it; removing a flag removes it. The confidentiality code itself cannot be removed.
 */
export function applyLabelOperations(current: CodeableConcept[], ops: Operation[]): CodeableConcept[] {
  let labels = [...current];
  for (const op of ops) {
    if (op.op === 'test') continue;
    if (op.path === '/securityLabel') {
      if (op.op === 'remove') labels = labels.filter((l) => !isFlag(l));
      else if (op.op === 'add' || op.op === 'replace') for (const label of (op.value as CodeableConcept[]) ?? []) labels = merge(labels, label);
      else throw methodNotAllowed(`JSON Patch "${op.op}" is not allowed on securityLabel`);
      continue;
    }
    const i = indexOf(op.path, labels);
    const old = i === undefined ? undefined : labels[i];
    if (op.op === 'add') labels = merge(labels, op.value as CodeableConcept);
    else if (op.op === 'replace') {
      const value = op.value as CodeableConcept;
      if (isFlag(old) && isConfidentiality(value)) {
        labels = labels.filter((l) => l !== old);
        if (!labels.some(isConfidentiality)) labels = merge(labels, value);
      } else labels = merge(labels, value);
    } else if (op.op === 'remove') {
      if (!old) throw unprocessable(`${op.path} does not exist`);
      if (isConfidentiality(old)) throw unprocessable('A document keeps its confidentiality code (N, R or V): replace it instead of removing it');
      labels = labels.filter((l) => l !== old);
    } else throw methodNotAllowed(`JSON Patch "${op.op}" is not allowed on securityLabel`);
  }
  return [...labels.filter(isConfidentiality), ...labels.filter((l) => !isConfidentiality(l))];
}
