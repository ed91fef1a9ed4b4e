import { DOCUMENT_TEMPLATES, PATIENT_TEMPLATES, TEMPLATE_EPOCH, documentTemplate, documentTemplateIndex, patientTemplate, practitionerTemplate } from './fixtures';
import { digits, documentId, patientId, patientOfDocument, practitionerCount, practitionerId, unitHash } from './ids';
import { RowTemplate, type RowValues } from './templates';

/** The seeded data set: sizes, and for each row its template and values (deterministic, no database needed). */
export interface DatasetSize {
  patients: number;
  documents: number;
}

/** One row to write: its type, id, template and per-row values. */
export interface DatasetRow {
  type: 'Patient' | 'Practitioner' | 'DocumentReference';
  id: string;
  template: RowTemplate;
  values: RowValues;
}

const DAY = 86_400_000;
const EPOCH_MS = Date.parse(TEMPLATE_EPOCH);
/** Documents were written over the three years before this instant (fixed, so reruns produce the same rows). */
const END_MS = Date.parse('2025-06-01T00:00:00.000Z');
const SPAN_MS = 3 * 365 * DAY;

function cached(count: number, build: (k: number) => ConstructorParameters<typeof RowTemplate>[0]): (k: number) => RowTemplate {
  const templates = new Map<number, RowTemplate>();
  return (k) => {
    let t = templates.get(k % count);
    if (!t) templates.set(k % count, (t = new RowTemplate(build(k % count))));
    return t;
  };
}

/** The rows of a data set, one kind at a time; templates are compiled once on first use. */
export class Dataset {
  readonly practitioners: number;
  private readonly patientTemplates = cached(PATIENT_TEMPLATES, patientTemplate);
  private readonly practitionerTemplates = cached(16, practitionerTemplate);
  private readonly documentTemplates = cached(DOCUMENT_TEMPLATES, documentTemplate);

  constructor(readonly size: DatasetSize) {
    this.practitioners = practitionerCount(size.patients);
  }

  /** The n-th Practitioner (an RPPS-identified author and treating physician). */
  practitioner(n: number): DatasetRow {
    const id = practitionerId(n);
    const values: RowValues = { slots: { ID: id, RPPS: `8${digits(n, 10)}` }, clinicalShiftMs: 0, updatedShiftMs: END_MS - SPAN_MS - EPOCH_MS - 30 * DAY };
    return { type: 'Practitioner', id, template: this.practitionerTemplates(n), values };
  }

  /** The n-th Patient: INS, local IPP, a treating physician, a birth date from 1940 to 2020. */
  patient(n: number): DatasetRow {
    const id = patientId(n);
    const birthShiftDays = Math.floor(unitHash(n, 1) * 80 * 365) - 20 * 365;
    const values: RowValues = {
      slots: { ID: id, INS: `${1 + (n % 2)}${digits(n, 14)}`, IPP: `IPP${digits(n, 9)}`, GP: practitionerId(n % this.practitioners) },
      clinicalShiftMs: birthShiftDays * DAY,
      updatedShiftMs: END_MS - SPAN_MS - EPOCH_MS - 7 * DAY + Math.floor(unitHash(n, 2) * 7 * DAY),
    };
    return { type: 'Patient', id, template: this.patientTemplates(Math.floor(unitHash(n, 3) * PATIENT_TEMPLATES)), values };
  }

  /** The n-th DocumentReference: a patient, an author, dates increasing with n over three years. */
  document(n: number): DatasetRow {
    const id = documentId(n);
    const author = Math.floor(unitHash(n, 4) * this.practitioners);
    const shift = END_MS - SPAN_MS - EPOCH_MS + Math.floor((n * SPAN_MS) / Math.max(1, this.size.documents));
    const values: RowValues = {
      slots: { ID: id, PAT: patientId(patientOfDocument(n, this.size.patients)), PRAC: practitionerId(author), RPPS: `8${digits(author, 10)}`, MID: String(n + 1) },
      clinicalShiftMs: shift,
      updatedShiftMs: shift,
    };
    return { type: 'DocumentReference', id, template: this.documentTemplates(documentTemplateIndex(unitHash(n, 5), unitHash(n, 6))), values };
  }
}
