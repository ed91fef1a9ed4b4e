import type { Identifier, Patient } from '@medplum/fhirtypes';
import { FhirError, unprocessable } from '../../fhir/errors';
import { explainInsProblem } from '../../validation/ins';
import { queryValue } from '../bundle-builder';
import { at, attr, childrenNamed, textOf } from '../cda-node';
import { INS_OIDS } from '../code-systems';
import { toAddress, toContactPoint, toDateTimeOf, toHumanNames } from '../datatypes';
import type { XmlNode } from '../xml-tree';

/** NIR used as a social-security number: not an INS, never a patient key (DMP-CONTRACT §2). */
const NIR_SOCIAL_SECURITY_OID = '1.2.250.1.213.1.4.13';
const FR_CORE_IDENTIFIER_TYPE = 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203';

/** The patient of the document as the import needs it. */
export interface DocumentPatient {
  /** Lookup identifiers, INS first (`urn:oid:<root>` | extension). */
  identifiers: { system: string; value: string }[];
  /** The conditional reference every resource uses as subject/patient. */
  reference: string;
  /** The identity traits as sent (for DocumentReference.context.sourcePatientInfo). */
  traits: Patient;
}

/** recordTarget/patientRole → lookup identifiers, conditional reference and traits; 422 if unidentifiable. */
export function readPatient(doc: XmlNode): DocumentPatient {
  // CDA allows several recordTargets (a mother and her newborn, twins): every entry would have been filed in the first
  // one's record, whichever of them it is about. A wrong patient is worse than a document refused.
  const targets = childrenNamed(doc, 'recordTarget');
  if (targets.length > 1) {
    throw unprocessable(`The CDA has ${targets.length} recordTarget elements: a document about several patients cannot be filed in one patient's record`);
  }
  const role = at(doc, 'recordTarget/patientRole');
  const ids = childrenNamed(role, 'id')
    .map((id) => ({ root: attr(id, 'root'), extension: attr(id, 'extension') }))
    .filter((id): id is { root: string; extension: string } => !!id.root && !!id.extension);
  assertInsKeys(ids);
  assertOneIns(ids);
  const rank = (root: string): number => (INS_OIDS.includes(root) ? INS_OIDS.indexOf(root) : INS_OIDS.length);
  const lookup = ids
    .filter((id) => id.root !== NIR_SOCIAL_SECURITY_OID)
    .sort((a, b) => rank(a.root) - rank(b.root))
    .map((id) => ({ system: `urn:oid:${id.root}`, value: id.extension }));
  if (!lookup.length) {
    const text = 'The CDA recordTarget has no usable patient identifier (INS or other id with root and extension)';
    throw unprocessable([{ severity: 'error', code: 'required', diagnostics: text, details: { text }, expression: [NO_PATIENT_ID] }]);
  }
  const first = lookup[0];
  return {
    identifiers: lookup,
    reference: `Patient?identifier=${queryValue(first.system)}|${queryValue(first.value)}`,
    traits: buildTraits(role, ids),
  };
}

/** Where an INS refusal points in the document (tells it from other mapping refusals). */
const INS_ELEMENT = 'ClinicalDocument/recordTarget/patientRole/id';

/** An INS with a wrong control key is refused (422 naming the element and the INS), never stored as the identity. */
function assertInsKeys(ids: { root: string; extension: string }[]): void {
  const issues = ids.flatMap((id) => {
    const problem = INS_OIDS.includes(id.root) ? explainInsProblem(id.extension) : undefined;
    if (!problem) return [];
    const text = `INS ${id.root}|${id.extension} in recordTarget/patientRole/id: ${problem}`;
    return [{ severity: 'error' as const, code: 'value' as const, diagnostics: text, details: { text }, expression: [`${INS_ELEMENT}[@root='${id.root}']/@extension`] }];
  });
  if (issues.length) throw unprocessable(issues);
}

/**
 * One patient has one matricule INS (NIR, or NIA while he has no NIR), whatever INS OID it is written under. A header
 * carrying two different INS values names two people: the document was filed in the record of whichever of them had
 * one here (the first INS with no record was skipped), so a report about a person without a record here went into
 * another person's (attack sweep 11). Refused with 422 naming both, as an INS refusal (an MHD submission refuses it too).
 */
function assertOneIns(ids: { root: string; extension: string }[]): void {
  const ins = ids.filter((id) => INS_OIDS.includes(id.root));
  if (new Set(ins.map((id) => id.extension)).size <= 1) return;
  const text = `The CDA recordTarget carries ${ins.map((id) => `${id.root}|${id.extension}`).join(' and ')}: two different INS name two people, and a document is filed in the record of the one patient it is about`;
  throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [INS_ELEMENT] }]);
}

/** Where the refusal of a header naming no patient identifier at all points (the IG's dummy CDA in an MHD submission). */
const NO_PATIENT_ID = 'ClinicalDocument/recordTarget/patientRole';

/** True for the 422 of a CDA header that names no patient identifier at all (nobody to compare with a subject). */
export function isNoPatientIdentifier(err: unknown): boolean {
  return err instanceof FhirError && err.status === 422 && err.outcome.issue.every((i) => i.expression?.length === 1 && i.expression[0] === NO_PATIENT_ID);
}

/** True for the 422 of a malformed INS in a CDA header (an ITI-65 submission refuses it rather than keeping the document unmapped). */
export function isInsRefusal(err: unknown): boolean {
  return err instanceof FhirError && err.status === 422 && err.outcome.issue.some((i) => i.expression?.some((e) => e.startsWith(INS_ELEMENT)));
}

function buildTraits(role: XmlNode | undefined, ids: { root: string; extension: string }[]): Patient {
  const person = at(role, 'patient');
  const patient: Patient = { resourceType: 'Patient', id: 'patient' };
  patient.identifier = ids.map((id) => toPatientIdentifier(id.root, id.extension));
  const names = childrenNamed(person, 'name').flatMap(toHumanNames);
  if (names.length) patient.name = names as Patient['name'];
  const gender = attr(at(person, 'administrativeGenderCode'), 'code');
  if (gender) patient.gender = gender === 'M' ? 'male' : gender === 'F' ? 'female' : gender === 'UN' ? 'other' : 'unknown';
  const birthDate = birthDateOf(at(person, 'birthTime'));
  if (birthDate) patient.birthDate = birthDate;
  const address = childrenNamed(role, 'addr').map(toAddress).filter((a) => !!a);
  if (address.length) patient.address = address as Patient['address'];
  const telecom = childrenNamed(role, 'telecom').map(toContactPoint).filter((t) => !!t);
  if (telecom.length) patient.telecom = telecom as Patient['telecom'];
  const birthPlace = at(person, 'birthplace/place/addr');
  const county = textOf(at(birthPlace, 'county'));
  const city = textOf(at(birthPlace, 'city'));
  if (county || city) {
    const valueAddress: Record<string, string> = {};
    if (county) valueAddress.district = county;
    if (city) valueAddress.city = city;
    patient.extension = [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress }];
  }
  return patient;
}

function toPatientIdentifier(root: string, extension: string): Identifier {
  const identifier: Identifier = { system: `urn:oid:${root}`, value: extension };
  const insIndex = INS_OIDS.indexOf(root);
  if (insIndex >= 0) {
    const code = insIndex === 1 ? 'INS-NIA' : 'INS-NIR';
    identifier.use = insIndex === 1 ? 'temp' : 'official';
    identifier.type = { coding: [{ system: FR_CORE_IDENTIFIER_TYPE, code }] };
  }
  return identifier;
}

/**
 * The patient's birth date. A birthTime that names no date (`19720230`, `1972-03-12`, `12/03/1972`) is refused with a
 * 422: left out, it disabled the identity check against the record's birth date (a trait missing on either side is
 * no conflict), so a document about someone else born on another day was filed in that record.
 */
function birthDateOf(birthTime: XmlNode | undefined): string | undefined {
  const raw = attr(birthTime, 'value');
  if (raw === undefined || attr(birthTime, 'nullFlavor')) return undefined;
  const date = toDateTimeOf(birthTime)?.slice(0, 10);
  if (date) return date;
  const text = `The patient's birthTime "${raw}" in recordTarget/patientRole/patient is not a date (CDA TS: YYYYMMDD)`;
  throw unprocessable([{ severity: 'error', code: 'value', diagnostics: text, details: { text }, expression: ['ClinicalDocument/recordTarget/patientRole/patient/birthTime/@value'] }]);
}
