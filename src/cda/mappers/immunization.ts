import type { Immunization } from '@medplum/fhirtypes';
import { at, attr, textOf } from '../cda-node';
import { toCodeableConcept, toInstantOf, toQuantity } from '../datatypes';
import { extractedBase, isNegated } from '../mapping-context';
import { mainEffectiveTime, performerOf, productCode } from './clinical-common';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';

const IMMUNIZATION_TEMPLATES = [
  '1.3.6.1.4.1.19376.1.5.3.1.4.12', // IHE PCC Immunizations
  '2.16.840.1.113883.10.20.22.4.52', // C-CDA Immunization Activity
  '1.2.250.1.213.1.1.3.45', // CI-SIS FR-Vaccination
];

/** Vaccination substanceAdministration → Immunization (vaccine code CIS/ATC/CVX, lot number, date). */
export const immunizationMapper: EntryMapper = {
  name: 'immunization',
  matches: (templateIds) => hasAnyTemplate(templateIds, IMMUNIZATION_TEMPLATES),
  map(statement, location, ctx) {
    const immunization: Immunization = {
      resourceType: 'Immunization',
      ...extractedBase(ctx, statement, location.path),
      status: isNegated(statement) ? 'not-done' : 'completed',
      vaccineCode: productCode(statement) ?? { text: 'unknown' },
      patient: ctx.patient,
      occurrenceString: 'unknown',
      primarySource: true,
    };
    const when = toInstantOf(mainEffectiveTime(statement));
    if (when) {
      delete immunization.occurrenceString;
      immunization.occurrenceDateTime = when;
    }
    const lot = textOf(at(statement, 'consumable/manufacturedProduct/manufacturedMaterial/lotNumberText'));
    if (lot) immunization.lotNumber = lot;
    const dose = toQuantity(at(statement, 'doseQuantity'));
    if (dose) immunization.doseQuantity = dose;
    const route = toCodeableConcept(at(statement, 'routeCode'));
    if (route) immunization.route = route;
    const site = toCodeableConcept(at(statement, 'approachSiteCode'));
    if (site) immunization.site = site;
    const actor = performerOf(statement, ctx);
    if (actor) immunization.performer = [{ actor }];
    if (attr(at(statement, 'statusCode'), 'code') === 'aborted') immunization.status = 'not-done';
    ctx.builder.add(immunization, ctx.builder.urnFor(`immunization:${location.path}`));
  },
};
