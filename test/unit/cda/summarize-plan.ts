import type { Bundle, CodeableConcept, DocumentReference, Identifier, Patient, PractitionerRole, Resource } from '@medplum/fhirtypes';
import type { CdaImportPlan } from '../../../src/cda';

/** A compact, reviewable summary of an import plan: DocumentReference metadata, counts and key values. */
export function summarizePlan(plan: CdaImportPlan): Record<string, unknown> {
  const resources = (plan.bundle.entry ?? []).map((e) => e.resource as Resource);
  const of = <T extends Resource>(type: T['resourceType']): T[] => resources.filter((r): r is T => r.resourceType === type);
  const dr = of<DocumentReference>('DocumentReference')[0];
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
  return {
    documentId: plan.documentId,
    patientIdentifiers: plan.patientIdentifiers,
    size: plan.size,
    sha1: plan.sha1,
    documentReference: summarizeDocumentReference(dr),
    counts,
    practitioners: of<Resource & { identifier?: Identifier[] }>('Practitioner').map((p) => ids(p.identifier)),
    organizations: of<Resource & { identifier?: Identifier[]; name?: string }>('Organization').map((o) => `${ids(o.identifier)} ${o.name ?? ''}`.trim()),
    binaries: of<Resource & { contentType?: string; data?: string }>('Binary').map((b) => `${b.contentType} ${Buffer.from(b.data ?? '', 'base64').length}`),
    observations: resources.filter((r) => r.resourceType === 'Observation').map(summarizeObservation),
    diagnosticReports: resources.filter((r) => r.resourceType === 'DiagnosticReport').map((r) => {
      const d = r as Resource & { code?: CodeableConcept; result?: unknown[]; conclusion?: string; imagingStudy?: unknown[]; category?: CodeableConcept[] };
      return compact([d.category?.map(codes).join(" "), codes(d.code), `results=${d.result?.length ?? 0}`, d.imagingStudy ? `studies=${d.imagingStudy.length}` : '', d.conclusion ? `conclusion=${d.conclusion}` : '']);
    }),
    conditions: resources.filter((r) => r.resourceType === 'Condition').map(summarizeClinical),
    allergies: resources.filter((r) => r.resourceType === 'AllergyIntolerance').map(summarizeClinical),
    medications: resources.filter((r) => r.resourceType === 'MedicationStatement').map((r) => {
      const m = r as { status?: string; medicationCodeableConcept?: CodeableConcept };
      return compact([m.status, codes(m.medicationCodeableConcept)]);
    }),
    immunizations: resources.filter((r) => r.resourceType === 'Immunization').map((r) => {
      const i = r as { status?: string; vaccineCode?: CodeableConcept; occurrenceDateTime?: string; lotNumber?: string };
      return compact([i.status, codes(i.vaccineCode), i.occurrenceDateTime, i.lotNumber ? `lot=${i.lotNumber}` : '']);
    }),
    imagingStudies: resources.filter((r) => r.resourceType === 'ImagingStudy').map((r) => ids((r as { identifier?: Identifier[] }).identifier)),
    specimens: resources.filter((r) => r.resourceType === 'Specimen').map((r) => codes((r as { type?: CodeableConcept }).type)),
  };
}

function summarizeDocumentReference(dr: DocumentReference): Record<string, unknown> {
  const patient = dr.contained?.find((c) => c.resourceType === 'Patient') as Patient | undefined;
  const roles = (dr.contained ?? []).filter((c): c is PractitionerRole => c.resourceType === 'PractitionerRole');
  const role = (ref?: string): string => {
    const r = roles.find((x) => `#${x.id}` === ref);
    return compact([r?.practitioner?.display, r?.organization?.display, codes(r?.specialty?.[0])]);
  };
  const main = dr.content[0];
  return {
    masterIdentifier: `${dr.masterIdentifier?.system}|${dr.masterIdentifier?.value}`,
    status: dr.status,
    type: codes(dr.type),
    category: dr.category?.map(codes),
    format: main.format?.code,
    date: dr.date,
    subject: dr.subject?.reference,
    authors: dr.author?.map((a) => role(a.reference)),
    authenticator: dr.authenticator ? role(dr.authenticator.reference) : undefined,
    custodian: dr.custodian?.display,
    securityLabel: dr.securityLabel?.map(codes),
    attachment: compact([main.attachment.contentType, main.attachment.language, main.attachment.title, main.attachment.creation, `size=${main.attachment.size}`]),
    extraContent: dr.content.slice(1).map((c) => compact([c.attachment.contentType, `size=${c.attachment.size}`, c.attachment.title, c.format?.code])),
    period: dr.context?.period,
    event: dr.context?.event?.map(codes),
    facilityType: codes(dr.context?.facilityType),
    practiceSetting: codes(dr.context?.practiceSetting),
    related: dr.context?.related?.map((r) => `${r.identifier?.type?.coding?.[0]?.code} ${r.identifier?.system}|${r.identifier?.value}`),
    relatesTo: dr.relatesTo?.map((r) => `${r.code} ${r.target.reference}`),
    versionExtensions: dr.extension?.map((e) => `${e.url.split('/').pop()}=${e.valueInteger ?? `${e.valueIdentifier?.system}|${e.valueIdentifier?.value}`}`),
    sourcePatient: patient && {
      names: patient.name?.map((n) => compact([n.use, n.family, n.given?.join(' ')])),
      gender: patient.gender,
      birthDate: patient.birthDate,
      identifiers: ids(patient.identifier),
    },
  };
}

/** `clinicalStatus/verificationStatus ; code` of a Condition or AllergyIntolerance. */
function summarizeClinical(r: Resource): string {
  const c = r as Resource & { code?: CodeableConcept; clinicalStatus?: CodeableConcept; verificationStatus?: CodeableConcept };
  const status = `${c.clinicalStatus?.coding?.[0]?.code ?? '-'}/${c.verificationStatus?.coding?.[0]?.code ?? '-'}`;
  return compact([status, codes(c.code)]);
}

function summarizeObservation(r: Resource): string {
  const o = r as Resource & {
    code?: CodeableConcept; valueQuantity?: { value?: number; unit?: string; comparator?: string }; valueCodeableConcept?: CodeableConcept; valueString?: string;
    interpretation?: CodeableConcept[]; referenceRange?: { low?: { value?: number }; high?: { value?: number } }[]; hasMember?: unknown[]; effectiveDateTime?: string;
  };
  const value = o.valueQuantity
    ? `${o.valueQuantity.comparator ? `${o.valueQuantity.comparator} ` : ''}${o.valueQuantity.value} ${o.valueQuantity.unit ?? ''}`.trim()
    : o.valueCodeableConcept
      ? codes(o.valueCodeableConcept)
      : o.valueString
        ? `"${o.valueString.slice(0, 40)}"`
        : '';
  const range = o.referenceRange?.[0] ? `[${o.referenceRange[0].low?.value ?? ''}..${o.referenceRange[0].high?.value ?? ''}]` : '';
  return compact([firstCode(o.code), value, o.interpretation?.map(firstCode).join(','), range, o.hasMember ? `members=${o.hasMember.length}` : '']);
}

function firstCode(c?: CodeableConcept): string {
  const coding = c?.coding?.[0];
  return coding ? `${coding.code}` : (c?.text ?? '');
}

function codes(c?: CodeableConcept): string {
  if (!c) return '';
  const list = (c.coding ?? []).map((x) => `${x.system?.replace(/^urn:oid:/, 'oid:')}#${x.code}`);
  return list.length ? list.join(' ') : `"${c.text ?? ''}"`;
}

function ids(identifiers?: Identifier[]): string {
  return (identifiers ?? []).map((i) => `${i.system}|${i.value}`).join(' ');
}

function compact(parts: (string | undefined)[]): string {
  return parts.filter((p) => p).join(' ; ');
}

/** The resources of a Bundle by type. */
export function resourcesOf<T extends Resource>(bundle: Bundle, type: T['resourceType']): T[] {
  return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
}
