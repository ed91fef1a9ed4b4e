import type { Bundle, CodeableConcept, DocumentReference, Quantity, Resource } from '@medplum/fhirtypes';
import type { CdaImportPlan } from '../../src/cda';

/**
 * Expected facts of a public example, written by a person reading its XML (never generated from our output): the
 * patient, the document's metadata, and per entry the code, value with its written digits, unit, comparator,
 * interpretation, reference range, status and dates. Each listed fact must be found in the import plan; `absent`
 * lists what must not be there (a negation turned into a fact). Fields left out are not checked.
 */
export interface ExpectedFacts {
  /** What the person read, and anything worth knowing about the document. */
  readFrom: string;
  patient: { identifier: string; birthDate?: string; gender?: string; birthName?: string };
  document: {
    masterIdentifier: string;
    type: string;
    classCode: string;
    format: string;
    facilityType?: string;
    practiceSetting?: string;
    related?: string[];
  };
  facts: Fact[];
  absent?: { resourceType: string; code?: string; reason: string }[];
  /** Codes of sections holding entries the reader knows nothing maps yet: each must be reported in `plan.unmapped`. */
  unmappedSections?: string[];
  /** Counts per resource type, where the reader counted every entry of a kind. */
  counts?: Record<string, number>;
}

/** One statement of the document, as the reader expects to find it. `code` matches any coding's code. */
export interface Fact {
  resourceType: string;
  code: string;
  [field: string]: string | number | boolean | undefined;
}

type View = Record<string, string | number | boolean | undefined>;

/** Checks the plan against the facts; returns one message per fact not found (empty when all are). */
export function checkFacts(plan: CdaImportPlan, expected: ExpectedFacts): string[] {
  const resources = (plan.bundle.entry ?? []).map((e) => e.resource as Resource);
  const failures: string[] = [];
  const dr = resources.find((r): r is DocumentReference => r.resourceType === 'DocumentReference') as DocumentReference;
  const patient = `${plan.patientIdentifiers[0].system}|${plan.patientIdentifiers[0].value}`;
  compare(failures, 'patient.identifier', patient, expected.patient.identifier);
  compare(failures, 'patient.birthDate', plan.patientTraits.birthDate, expected.patient.birthDate);
  compare(failures, 'patient.gender', plan.patientTraits.gender, expected.patient.gender);
  const official = plan.patientTraits.name?.find((n) => n.use === 'official') ?? plan.patientTraits.name?.[0];
  compare(failures, 'patient.birthName', official?.family, expected.patient.birthName);
  const doc = documentView(dr);
  for (const [key, value] of Object.entries(expected.document)) compare(failures, `document.${key}`, doc[key], value);
  for (const fact of expected.facts) {
    const candidates = resources.filter((r) => r.resourceType === fact.resourceType && codesOf(r).includes(fact.code));
    const views = candidates.map((r) => viewOf(r, plan.bundle));
    const fields = Object.keys(fact).filter((k) => k !== 'resourceType' && k !== 'code' && k !== 'note');
    if (!views.some((v) => fields.every((k) => String(v[k]) === String(fact[k])))) {
      failures.push(`${fact.resourceType} ${fact.code} ${JSON.stringify(pick(fact, fields))} not found; found ${JSON.stringify(views.map((v) => pick(v, fields)))}`);
    }
  }
  for (const absent of expected.absent ?? []) {
    const found = resources.filter((r) => r.resourceType === absent.resourceType && (!absent.code || codesOf(r).includes(absent.code)));
    if (found.length) failures.push(`${absent.resourceType} ${absent.code ?? ''} must be absent (${absent.reason}), found ${found.length}`);
  }
  const reported = new Set(plan.unmapped.map((u) => u.section.code?.code));
  for (const section of expected.unmappedSections ?? []) {
    if (!reported.has(section)) failures.push(`section ${section} holds unmapped entries but is not reported in plan.unmapped`);
  }
  for (const [type, count] of Object.entries(expected.counts ?? {})) {
    compare(failures, `count of ${type}`, resources.filter((r) => r.resourceType === type).length, count);
  }
  return failures;
}

function compare(failures: string[], what: string, actual: unknown, expected: unknown): void {
  if (expected === undefined) return;
  const a = Array.isArray(actual) ? JSON.stringify(actual) : String(actual);
  const e = Array.isArray(expected) ? JSON.stringify(expected) : String(expected);
  if (a !== e) failures.push(`${what}: expected ${e}, got ${a}`);
}

function pick(view: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((k) => [k, view[k]]));
}

function documentView(dr: DocumentReference): Record<string, unknown> {
  return {
    masterIdentifier: `${dr.masterIdentifier?.system}|${dr.masterIdentifier?.value}`,
    type: coded(dr.type),
    classCode: dr.category?.[0].coding?.[0].code,
    format: dr.content[0].format?.code,
    facilityType: dr.context?.facilityType?.coding?.[0].code,
    practiceSetting: dr.context?.practiceSetting?.coding?.[0].code,
    related: dr.context?.related?.map((r) => `${r.identifier?.type?.coding?.[0].code} ${r.identifier?.system}|${r.identifier?.value}`),
  };
}

function coded(c: CodeableConcept | undefined): string | undefined {
  const coding = c?.coding?.[0];
  return coding ? `${coding.system}|${coding.code}` : undefined;
}

function codesOf(r: Resource): string[] {
  const any = r as unknown as Record<string, unknown>;
  const concepts = [any.code, any.type, any.vaccineCode, any.medicationCodeableConcept, ...(((any.contained as Resource[]) ?? []).map((c) => (c as { code?: unknown }).code))];
  // Encounter.type is a list of concepts: every one of them names the resource too.
  return concepts.flat().flatMap((c) => ((c as CodeableConcept | undefined)?.coding ?? []).map((coding) => coding.code ?? ''));
}

/** The written digits of a FHIR decimal: the lexical extension when the number lost some, else the number. */
function digits(q: Quantity | undefined, key: 'value' = 'value'): string | undefined {
  if (q?.[key] === undefined) return undefined;
  const lexical = (q as Record<string, unknown>)[`_${key}`] as { extension?: { valueString?: string }[] } | undefined;
  return lexical?.extension?.[0]?.valueString ?? String(q[key]);
}

function quantityText(q: Quantity | undefined): string | undefined {
  if (!q) return undefined;
  return `${q.comparator ?? ''}${digits(q)}${q.unit ? ` ${q.unit}` : ''}`;
}

function viewOf(r: Resource, bundle: Bundle): View {
  const any = r as Record<string, any>;
  const range = any.referenceRange?.[0];
  const rangeText = range
    ? range.low && range.high
      ? `${digits(range.low)}-${digits(range.high)} ${range.high.unit ?? range.low.unit ?? ''}`.trim()
      : range.low
        ? `>=${digits(range.low)} ${range.low.unit ?? ''}`.trim()
        : range.high
          ? `<=${digits(range.high)} ${range.high.unit ?? ''}`.trim()
          : range.text
      : undefined;
  const value =
    quantityText(any.valueQuantity) ??
    any.valueCodeableConcept?.coding?.[0]?.code ??
    any.valueCodeableConcept?.text ??
    any.valueString ??
    (any.valueBoolean !== undefined ? String(any.valueBoolean) : undefined) ??
    (any.valueInteger !== undefined ? String(any.valueInteger) : undefined) ??
    any.valueDateTime ??
    (any.valueRange ? `${quantityText(any.valueRange.low) ?? ''}..${quantityText(any.valueRange.high) ?? ''}` : undefined);
  const medication = (any.contained ?? []).find((c: Resource) => c.resourceType === 'Medication');
  const reactionUrl = any.reaction?.[0]?.detail?.reference;
  // A MedicationRequest's treatment period is in the R5 cross-version extension effectiveDosePeriod (R4 has no element).
  const dosePeriod = (any.extension ?? []).find((e: { url: string }) => e.url.endsWith('extension-MedicationRequest.effectiveDosePeriod'))?.valuePeriod;
  const reaction = reactionUrl ? (bundle.entry?.find((e) => e.fullUrl === reactionUrl)?.resource as Record<string, any>) : undefined;
  return {
    status: any.status,
    intent: any.intent,
    value,
    interpretation: any.interpretation?.[0]?.coding?.[0]?.code,
    range: rangeText,
    effective: any.effectiveDateTime ?? any.effectivePeriod?.start ?? any.performedDateTime ?? any.performedPeriod?.start ?? any.period?.start ?? any.occurrenceDateTime ?? any.onsetDateTime ?? any.whenHandedOver ?? dosePeriod?.start,
    end: any.effectivePeriod?.end ?? any.performedPeriod?.end ?? any.period?.end ?? any.abatementDateTime ?? dosePeriod?.end,
    category: any.category?.[0]?.coding?.[0]?.code,
    clinicalStatus: any.clinicalStatus?.coding?.[0]?.code,
    verificationStatus: any.verificationStatus?.coding?.[0]?.code,
    lot: any.lotNumber ?? medication?.batch?.lotNumber,
    doseNumber: any.protocolApplied?.[0]?.doseNumberPositiveInt,
    primarySource: any.primarySource,
    reaction: reaction?.valueCodeableConcept?.coding?.[0]?.code,
    quantity: quantityText(any.quantity),
    system: [any.code, any.vaccineCode, any.medicationCodeableConcept, medication?.code].find((c) => c?.coding)?.coding?.[0]?.system,
    members: any.hasMember?.length,
    collected: any.collection?.collectedDateTime,
    specimen: any.specimen ? 'yes' : 'no',
    criticality: any.criticality,
    severity: any.severity?.coding?.[0]?.code,
    reactions: any.reaction && !reaction ? any.reaction.map((r: any) => `${r.manifestation?.[0]?.coding?.[0]?.code}:${r.severity ?? '-'}`).join(' ') : undefined,
    dose: quantityText(any.dosage?.[0]?.doseAndRate?.[0]?.doseQuantity ?? any.doseQuantity),
  };
}
