import type { DocumentReference, MedicationRequest, Observation } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport, UNMAPPED_CONTENT_EXTENSION, unmappedOutcome } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read by hand from fixtures/cda/prescription-qualifiers.xml (its header comment says the same): a prescription
// of 1 September 2025, two lines (FR-Traitement-prescrit) and what each says beside product and dosage.
// Line 1, metformin CIS 60000033: 2 renewals (repeatNumber 2), renewal period 2025-09-01 → 2025-12-31, ALD true
// (MED-574), work accident false (GEN-180), prevention false (GEN-295), Non remboursable false (GEN-181), Hors AMM false
// (GEN-179), substitution N with reason "Non substituable (MTE)", dispenser instruction "Délivrer par boîtes de 90
// comprimés si disponible".
// Line 2, paracetamol CIS 60000044: precondition "en cas de douleur", no renewal, Non remboursable true, Hors AMM true,
// substitution E, dispenser instruction "-"; its ALD qualifier has no value (nullFlavor UNK, 5th relationship: r5) and
// its renewal period is a width of 3 months only (4th relationship: r4): both reported as unmapped.
// Line 3, a compounded preparation with no code (nullFlavor NA) known by its narrative, dose form EDQM 10502000 and one
// ingredient (pharm:ingredient): neither can be represented beside an uncoded product, both named in a warning.
const TA_ASIP = 'urn:oid:1.2.250.1.213.1.1.4.322';
const NOT_COVERED = 'https://interop.esante.gouv.fr/ig/fhir/document-core/StructureDefinition/fr-not-covered-extension';
const OFF_LABEL = 'https://profiles.ihe.net/PHARM/MPD/StructureDefinition/ihe-ext-offLabel';
const DISPENSER_INSTRUCTION = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationRequest.dispenseRequest.dispenserInstruction';
const SUBSTITUTION = 'http://terminology.hl7.org/CodeSystem/v3-substanceAdminSubstitution';

describe('what a prescription line says beside its product and dosage is kept, or reported', () => {
  const plan = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/prescription-qualifiers.xml')));
  const requests = resourcesOf<MedicationRequest>(plan.bundle, 'MedicationRequest');
  const byCis = (cis: string) => requests.find((r) => r.medicationCodeableConcept?.coding?.[0].code === cis) as MedicationRequest;
  const metformin = byCis('60000033');
  const paracetamol = byCis('60000044');
  const reasonObservation = (r: MedicationRequest, code: string) => {
    const observation = (r.contained ?? []).find((c) => c.resourceType === 'Observation' && c.code.coding?.[0].code === code) as Observation | undefined;
    return observation && r.reasonReference?.some((ref) => ref.reference === `#${observation.id}`) ? observation : undefined;
  };
  const extension = (r: MedicationRequest, url: string) => r.extension?.filter((e) => e.url === url) ?? [];

  it('gives one MedicationRequest per line and no extra resource for the qualifiers', () => {
    expect(requests).toHaveLength(3);
    expect(resourcesOf(plan.bundle, 'Observation')).toHaveLength(0);
  });

  it('says the metformin line is related to an ALD, and to neither a work accident nor prevention (contained, named as reasons)', () => {
    expect(reasonObservation(metformin, 'MED-574')).toMatchObject({ status: 'final', code: { coding: [{ system: TA_ASIP, code: 'MED-574', display: 'En rapport avec une ALD' }] }, valueBoolean: true, effectiveDateTime: '2025-09-01T09:00:00+02:00' });
    expect(reasonObservation(metformin, 'GEN-180')?.valueBoolean).toBe(false);
    expect(reasonObservation(metformin, 'GEN-295')?.valueBoolean).toBe(false);
    expect(metformin.reasonReference).toHaveLength(3);
    expect(metformin.reasonCode).toBeUndefined();
  });

  it('keeps "not reimbursed" and "off-label" as stated on each line', () => {
    expect(extension(metformin, NOT_COVERED)).toEqual([{ url: NOT_COVERED, valueBoolean: false }]);
    expect(extension(metformin, OFF_LABEL)).toEqual([{ url: OFF_LABEL, extension: [{ url: 'isOffLabelUse', valueBoolean: false }] }]);
    expect(extension(paracetamol, NOT_COVERED)).toEqual([{ url: NOT_COVERED, valueBoolean: true }]);
    expect(extension(paracetamol, OFF_LABEL)).toEqual([{ url: OFF_LABEL, extension: [{ url: 'isOffLabelUse', valueBoolean: true }] }]);
  });

  it('keeps the renewals, the renewal period and the dispenser instruction in dispenseRequest', () => {
    expect(metformin.dispenseRequest).toEqual({
      quantity: { value: 6, system: 'urn:oid:0.4.0.127.0.16.1.1.2.1', code: '30009000' },
      numberOfRepeatsAllowed: 2,
      validityPeriod: { start: '2025-09-01', end: '2025-12-31' },
      extension: [{ url: DISPENSER_INSTRUCTION, valueAnnotation: { text: 'Délivrer par boîtes de 90 comprimés si disponible' } }],
    });
    // "-" says nothing to the pharmacist; a period that is only a width has no dates (reported below).
    expect(paracetamol.dispenseRequest).toEqual({ quantity: { value: 1, system: 'urn:oid:0.4.0.127.0.16.1.1.2.1', code: '30009000' }, numberOfRepeatsAllowed: 0 });
  });

  it('keeps the substitution code itself (N refused with its reason, E: an equivalent allowed)', () => {
    expect(metformin.substitution).toEqual({ allowedCodeableConcept: { coding: [{ system: SUBSTITUTION, code: 'N', display: 'Aucune substitution permise' }] }, reason: { text: 'Non substituable (MTE)' } });
    expect(paracetamol.substitution).toEqual({ allowedCodeableConcept: { coding: [{ system: SUBSTITUTION, code: 'E', display: 'Substitution par un équivalent' }] } });
  });

  it('makes the paracetamol dose conditional on its precondition ("en cas de douleur"), and the metformin dose not', () => {
    expect(paracetamol.dosageInstruction?.[0].asNeededCodeableConcept).toEqual({ text: 'en cas de douleur' });
    expect(metformin.dosageInstruction?.[0].asNeededCodeableConcept).toBeUndefined();
  });

  it('reports the two statements of line 2 it cannot represent, in the import OperationOutcome and on the DocumentReference', () => {
    expect(plan.unmapped.map((u) => [u.section.code?.code, u.statement, u.entryTemplateIds, u.count, u.paths])).toEqual([
      ['57828-6', 'supply', ['1.3.6.1.4.1.19376.1.9.1.3.15', '1.2.250.1.213.1.1.3.88'], 1, ['s1.e2.r4']],
      ['57828-6', 'observation', ['1.3.6.1.4.1.19376.1.5.3.1.4.13', '1.2.250.1.213.1.1.3.48', '1.2.250.1.213.1.1.3.48.13'], 1, ['s1.e2.r5']],
    ]);
    const outcome = unmappedOutcome(plan.unmapped);
    expect(outcome.issue).toHaveLength(2);
    expect(outcome.issue[0]).toMatchObject({ severity: 'warning', code: 'not-supported', details: { coding: [{ code: '57828-6' }] }, diagnostics: 'paths: s1.e2.r4' });
    expect(outcome.issue[1].details?.text).toMatch(/57828-6 "Prescription de médicaments": 1 observation entry \(templateId .*1\.2\.250\.1\.213\.1\.1\.3\.48\.13\) not represented/);
    const [dr] = resourcesOf<DocumentReference>(plan.bundle, 'DocumentReference');
    expect(dr.extension?.filter((e) => e.url === UNMAPPED_CONTENT_EXTENSION)).toHaveLength(2);
    // The line itself is mapped: the ALD it does not know about is not invented either way.
    expect(reasonObservation(paracetamol, 'MED-574')).toBeUndefined();
  });

  it('names the form and ingredient of the uncoded preparation (line 3) in the import warnings, and keeps its narrative as the product', () => {
    const preparation = requests.find((r) => !r.medicationCodeableConcept?.coding) as MedicationRequest;
    expect(preparation.medicationCodeableConcept).toEqual({ text: 'Préparation magistrale : vaseline officinale 45 g, acide salicylique 5 g' });
    expect(plan.warnings).toEqual(['Entry s1.e3: product without a code (known by its narrative); its pharm:formCode and pharm:ingredient are not represented']);
    expect(unmappedOutcome(plan.unmapped, plan.warnings).issue[2]).toMatchObject({ severity: 'information', diagnostics: plan.warnings[0] });
  });
});
