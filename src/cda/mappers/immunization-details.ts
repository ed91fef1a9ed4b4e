import type { Immunization, Observation } from '@medplum/fhirtypes';
import { at, attr, childrenNamed, templateIds } from '../cda-node';
import { readInteger, toCodeableConcept, toDateTimeOf, toPeriod } from '../datatypes';
import { extractedBase, isNegated, type EntryLocation, type MappingContext } from '../mapping-context';
import { partRefusal } from '../statement-guards';
import type { XmlNode } from '../xml-tree';
import { setValue } from './lab-result';
import { addNotes, narrativeNotes } from './narrative-notes';

/** Medication series number (CCD) / CI-SIS FR-Rang-de-la-vaccination; LOINC 30973-2 "Dose number". */
const DOSE_NUMBER_TEMPLATES = ['2.16.840.1.113883.10.20.1.46', '1.2.250.1.213.1.1.3.82'];
const DOSE_NUMBER_CODE = '30973-2';
/** Reaction observations: CCD reaction, IHE PCC problem entry under CAUS/MFST, C-CDA Reaction Observation. */
const REACTION_TEMPLATES = ['2.16.840.1.113883.10.20.1.54', '1.3.6.1.4.1.19376.1.5.3.1.4.5', '2.16.840.1.113883.10.20.22.4.9', '1.2.250.1.213.1.1.3.37'];

/** The dose number of a vaccination (`protocolApplied.doseNumberPositiveInt`), from its series-number observation. */
export function addDoseNumber(immunization: Immunization, statement: XmlNode): void {
  const observation = childrenNamed(statement, 'entryRelationship')
    .map((r) => at(r, 'observation'))
    .find((o) => o && (templateIds(o).some((t) => DOSE_NUMBER_TEMPLATES.includes(t)) || attr(at(o, 'code'), 'code') === DOSE_NUMBER_CODE));
  const value = at(observation, 'value');
  const n = readInteger(attr(value, 'value'));
  if (n !== undefined && n > 0) immunization.protocolApplied = [{ doseNumberPositiveInt: n }];
}

/**
 * Reactions observed after a vaccination (`entryRelationship` CAUS or MFST) → one Observation each (the reaction, coded
 * as the document codes it: CIM-10, SNOMED CT …) referenced by `Immunization.reaction.detail` with its date. A negated
 * reaction ("no reaction") is no reaction: not represented, and said in a warning.
 */
export function addReactions(immunization: Immunization, statement: XmlNode, location: EntryLocation, ctx: MappingContext): void {
  childrenNamed(statement, 'entryRelationship')
    .filter((r) => ['CAUS', 'MFST'].includes(attr(r, 'typeCode') ?? ''))
    .forEach((relation, i) => {
      const node = at(relation, 'observation');
      if (!node || !templateIds(node).some((t) => REACTION_TEMPLATES.includes(t))) return;
      const path = `${location.path}.reaction${i + 1}`;
      if (isNegated(node)) {
        ctx.warnings.push(`Entry ${path}: negated vaccination reaction; not represented`);
        return;
      }
      // A reaction entered in error, about someone else, suspected (uncertaintyCode) or not observed (another mood)
      // was listed as a reaction the patient had.
      const refusal = partRefusal(node);
      if (refusal) {
        ctx.warnings.push(`Entry ${path}: vaccination reaction ${refusal}; not represented`);
        ctx.unmapped.add(location.section, node, path);
        return;
      }
      const observation: Observation = {
        resourceType: 'Observation',
        ...extractedBase(ctx, node, path),
        status: 'final',
        code: toCodeableConcept(at(node, 'code')) ?? { text: 'Reaction' },
        subject: ctx.patient,
      };
      setValue(observation, at(node, 'value'));
      const date = toDateTimeOf(at(node, 'effectiveTime')) ?? toPeriod(at(node, 'effectiveTime'))?.start;
      if (date) observation.effectiveDateTime = date;
      addNotes(observation, narrativeNotes(ctx, { ...location, path }, at(node, 'value')));
      const url = ctx.builder.add(observation, ctx.builder.urnFor(`immunization-reaction:${path}`));
      immunization.reaction = [...(immunization.reaction ?? []), { ...(date ? { date } : {}), detail: { reference: url } }];
    });
}
