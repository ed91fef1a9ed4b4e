import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Binary, Bundle, BundleEntry, DocumentReference, List, Patient } from '@medplum/fhirtypes';

const ITI65 = readFileSync(path.join(__dirname, '../../../fixtures/pdsm/iti65-submission.json'), 'utf8');

/**
 * The PDSm ITI-65 fixture filed for the INS `ins`, written by the professional `rpps`, its document the CDA `xml`
 * (text/xml, no hash nor size, no masterIdentifier: the CDA's own id is the document's); `snapshot` is merged into the
 * SubmissionSet's contained source Patient.
 */
export function cdaSubmission(ins: string, xml: string, rpps: string, snapshot: Partial<Patient> = {}): Bundle {
  const bundle = JSON.parse(ITI65.split('180057512345627').join(ins).split('810001234567').join(`8${rpps}`)) as Bundle;
  const entries = bundle.entry as BundleEntry[];
  const list = entries[0].resource as List;
  Object.assign(list.contained?.find((c) => c.resourceType === 'Patient') ?? {}, snapshot);
  const doc = entries[1].resource as DocumentReference;
  const binary = entries[2].resource as Binary;
  binary.contentType = 'text/xml';
  binary.data = Buffer.from(xml).toString('base64');
  doc.content[0].attachment = { ...doc.content[0].attachment, contentType: 'text/xml', hash: undefined, size: undefined };
  delete doc.masterIdentifier;
  return bundle;
}
