import type { OperationOutcome } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/errors';
import { clinicalDocumentOf, type CdaParseOptions } from './cda-parser';
import { readPatient, type DocumentPatient } from './header/patient';

/**
 * What a document submission (ITI-65, ITI-105) reads of a CDA document it does not map: whether its root is a
 * ClinicalDocument, and its header's patient. Plain data, so that it crosses from a plan worker as JSON: reading it
 * parses the whole document (the tree, not just the header), which is the work `CdaPlanWorkers` bounds.
 */
export interface CdaHeaderRead {
  /** The root is a ClinicalDocument (inside an XSL wrapper, or in another namespace: what a reader would take for one). */
  clinicalDocument: boolean;
  /** The header's patient, when its reader accepted it. */
  patient?: Pick<DocumentPatient, 'identifiers' | 'traits'>;
  /** The refusal of the header's patient reader (status and outcome of its FhirError), when it refused it. */
  patientRefusal?: { status: number; outcome: OperationOutcome };
}

/** Reads a CDA document's root and header patient: 413/400 as `parseCda` when the bytes cannot be parsed safely. */
export function readCdaHeader(bytes: Buffer, options: CdaParseOptions = {}): CdaHeaderRead {
  const root = clinicalDocumentOf(bytes, options);
  if (!root) return { clinicalDocument: false };
  try {
    const { identifiers, traits } = readPatient(root);
    return { clinicalDocument: true, patient: { identifiers, traits } };
  } catch (err) {
    if (err instanceof FhirError) return { clinicalDocument: true, patientRefusal: { status: err.status, outcome: err.outcome } };
    throw err;
  }
}
