import type { Extension, MedicationRequest, Observation, Period } from '@medplum/fhirtypes';
import { at, attr, childrenNamed, templateIds } from '../cda-node';
import { toCodeableConcept, toDateTimeOf } from '../datatypes';
import { narrativeOf } from '../narrative-references';
import type { XmlNode } from '../xml-tree';
import { hasAnyTemplate } from './entry-mapper';

/**
 * What a CI-SIS prescription line (FR-Traitement-prescrit) says beside the product and its dosage, mapped as the ANS
 * FR Document Core profile FRMedicationRequestDocument maps it (ConceptMap FRMedicationRequestLMCDAFHIR):
 * - FR-En-rapport-avec-ALD / -accident-travail / -la-prevention (boolean FR-Simple-observation) → a contained
 *   Observation (the profile's FRObservationALDDocument …: the same code, `valueBoolean`) named by `reasonReference`.
 *   Contained, not a resource of its own: it qualifies this line only and is no fact about the patient to list;
 * - FR-Non-remboursable → the FR Not Covered extension (`valueBoolean`);
 * - FR-Hors-AMM → IHE MPD's off-label extension (`isOffLabelUse`);
 * - FR-Instructions-au-dispensateur → `dispenseRequest` R5 `dispenserInstruction` cross-version extension;
 * - FR-Periode-de-renouvellement → `dispenseRequest.validityPeriod`.
 * Each statement represented is added to `consumed`; one it cannot represent (no boolean value, a period with no
 * start or end) is left out of it, so the caller reports it as unmapped.
 */
export function applyLineQualifiers(request: MedicationRequest, statement: XmlNode, consumed: Set<XmlNode>): void {
  for (const relation of childrenNamed(statement, 'entryRelationship')) {
    for (const node of relation.children) {
      const ids = templateIds(node);
      const reason = REASON_OBSERVATIONS.find((r) => ids.includes(r.templateId));
      if (node.name === 'observation' && reason) {
        if (addReasonObservation(request, node, reason.id)) consumed.add(node);
      } else if (node.name === 'observation' && ids.includes(NOT_COVERED_TEMPLATE)) {
        const value = booleanValue(node);
        if (value === undefined) continue;
        addExtension(request, { url: FR_NOT_COVERED_EXTENSION, valueBoolean: value });
        consumed.add(node);
      } else if (node.name === 'observation' && ids.includes(OFF_LABEL_TEMPLATE)) {
        const value = booleanValue(node);
        if (value === undefined) continue;
        addExtension(request, { url: IHE_OFF_LABEL_EXTENSION, extension: [{ url: 'isOffLabelUse', valueBoolean: value }] });
        consumed.add(node);
      } else if (node.name === 'act' && hasAnyTemplate(ids, DISPENSER_INSTRUCTION_TEMPLATES)) {
        const text = statedText(narrativeOf(at(node, 'text')));
        if (text) {
          const dispense = (request.dispenseRequest ??= {});
          dispense.extension = [...(dispense.extension ?? []), { url: DISPENSER_INSTRUCTION_EXTENSION, valueAnnotation: { text } }];
        }
        // An instruction that says nothing ("-" in the ANS example's narrative) has nothing to keep.
        consumed.add(node);
      } else if (node.name === 'supply' && hasAnyTemplate(ids, RENEWAL_PERIOD_TEMPLATES)) {
        const period = renewalPeriod(at(node, 'effectiveTime'));
        if (!period) continue;
        (request.dispenseRequest ??= {}).validityPeriod = period;
        consumed.add(node);
      }
    }
  }
}

/** The text of an instruction, or nothing when it is only a placeholder ("-", "—", blanks). */
export function statedText(text: string | undefined): string | undefined {
  return text && /[\p{L}\p{N}]/u.test(text) ? text : undefined;
}

/** FR-En-rapport-avec-ALD, -accident-travail (AT/MP), -la-prevention: contained ids of their Observations. */
const REASON_OBSERVATIONS = [
  { templateId: '1.2.250.1.213.1.1.3.48.13', id: 'ald' },
  { templateId: '1.2.250.1.213.1.1.3.48.14', id: 'work-related' },
  { templateId: '1.2.250.1.213.1.1.3.48.34', id: 'prevention' },
];
/** CI-SIS FR-Non-remboursable. */
const NOT_COVERED_TEMPLATE = '1.2.250.1.213.1.1.3.48.15';
/** CI-SIS FR-Hors-AMM (prescribed outside its marketing authorisation). */
const OFF_LABEL_TEMPLATE = '1.2.250.1.213.1.1.3.48.12';
/** Fulfillment instructions (CCD), Medication Fulfillment Instructions (IHE PCC), FR-Instructions-au-dispensateur. */
const DISPENSER_INSTRUCTION_TEMPLATES = ['2.16.840.1.113883.10.20.1.43', '1.3.6.1.4.1.19376.1.5.3.1.4.3.1', '1.2.250.1.213.1.1.3.34'];
/** IHE PHARM PRE Renewal Period, CI-SIS FR-Periode-de-renouvellement. */
const RENEWAL_PERIOD_TEMPLATES = ['1.3.6.1.4.1.19376.1.9.1.3.15', '1.2.250.1.213.1.1.3.88'];

/** ANS FR Document Core: the treatment is not reimbursed ("non remboursable"). */
export const FR_NOT_COVERED_EXTENSION = 'https://interop.esante.gouv.fr/ig/fhir/document-core/StructureDefinition/fr-not-covered-extension';
/** IHE PHARM MPD: prescribed off-label (the ANS profile's `horsAMM` slice). */
export const IHE_OFF_LABEL_EXTENSION = 'https://profiles.ihe.net/PHARM/MPD/StructureDefinition/ihe-ext-offLabel';
/** R5 `MedicationRequest.dispenseRequest.dispenserInstruction` carried in R4 (the ANS profile's own choice). */
export const DISPENSER_INSTRUCTION_EXTENSION = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationRequest.dispenseRequest.dispenserInstruction';

/** `value xsi:type="BL"`: true or false; anything else (a nullFlavor, another type) is not a stated answer. */
function booleanValue(observation: XmlNode): boolean | undefined {
  const value = attr(at(observation, 'value'), 'value');
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

function addReasonObservation(request: MedicationRequest, node: XmlNode, id: string): boolean {
  const value = booleanValue(node);
  const code = toCodeableConcept(at(node, 'code'));
  if (value === undefined || !code?.coding) return false;
  const observation: Observation = { resourceType: 'Observation', id, status: 'final', code: { coding: code.coding }, valueBoolean: value };
  const effective = toDateTimeOf(at(node, 'effectiveTime'));
  if (effective) observation.effectiveDateTime = effective;
  request.contained = [...(request.contained ?? []), observation];
  request.reasonReference = [...(request.reasonReference ?? []), { reference: `#${id}` }];
  return true;
}

function addExtension(request: MedicationRequest, extension: Extension): void {
  request.extension = [...(request.extension ?? []), extension];
}

/**
 * The renewal period as a Period when it has an end (`high`, with or without `low`). One given as a duration
 * (`width`) is not turned into dates: where it starts (the document's date? the first dispensation?) and whether its
 * last day is included are not written, so it is reported as unmapped rather than guessed.
 */
function renewalPeriod(time: XmlNode | undefined): Period | undefined {
  const start = toDateTimeOf(at(time, 'low'));
  const end = toDateTimeOf(at(time, 'high'));
  if (!end) return undefined;
  return { ...(start ? { start } : {}), end };
}
