import type { CodeableConcept, Immunization } from '@medplum/fhirtypes';
import { at, attr, childrenNamed, textOf } from '../cda-node';
import { toCodeableConcept, toInstantOf, toQuantity } from '../datatypes';
import { extractedBase, isNegated } from '../mapping-context';
import type { XmlNode } from '../xml-tree';
import { absenceCoding, absenceInWords, isUnidentified } from './absence';
import { mainEffectiveTime, performerOf, productCode } from './clinical-common';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { addDoseNumber, addReactions } from './immunization-details';
import { addPrimarySource } from './immunization-source';
import { addNotes, narrativeNotes } from './narrative-notes';

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
    const vaccine = productCode(statement);
    // "No known immunizations" (an absence code, or a negated generic "vaccine") and a vaccine that is only a
    // nullFlavor are not a vaccination, done or not done, of any particular vaccine.
    if (absenceCoding(vaccine) || absenceInWords(vaccine) || isUnidentified(vaccine)) {
      ctx.warnings.push(`Entry ${location.path}: ${isNegated(statement) || absenceCoding(vaccine) || absenceInWords(vaccine) ? 'states no known immunization' : 'immunization without an identified vaccine'}; not represented`);
      return;
    }
    const immunization: Immunization = {
      resourceType: 'Immunization',
      ...extractedBase(ctx, statement, location.path),
      status: isNegated(statement) ? 'not-done' : 'completed',
      vaccineCode: vaccine as CodeableConcept,
      patient: ctx.patient,
      occurrenceString: 'unknown',
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
    // Immunization.status is completed or not-done: a vaccination aborted or cancelled was not given; one still
    // active, new, held or suspended has not been given either (was read as completed).
    const status = attr(at(statement, 'statusCode'), 'code');
    if (status === 'aborted' || status === 'cancelled') immunization.status = 'not-done';
    else if (status !== undefined && status !== 'completed') {
      ctx.warnings.push(`Entry ${location.path}: vaccination with statusCode "${status}", not given; not represented`);
      return;
    }
    const reason = immunization.status === 'not-done' ? refusalReason(statement) : undefined;
    if (reason) immunization.statusReason = reason;
    addNotes(immunization, narrativeNotes(ctx, location, at(statement, 'consumable/manufacturedProduct/manufacturedMaterial/code')));
    addDoseNumber(immunization, statement);
    addPrimarySource(immunization, statement, location, ctx);
    if (immunization.status === 'completed') addReactions(immunization, statement, location, ctx);
    ctx.builder.add(immunization, ctx.builder.urnFor(`immunization:${location.path}`));
  },
};

/** Why a vaccination was not given: the code of its `RSON` entryRelationship (C-CDA Immunization Refusal Reason). */
function refusalReason(statement: XmlNode): CodeableConcept | undefined {
  const reason = childrenNamed(statement, 'entryRelationship')
    .filter((r) => attr(r, 'typeCode') === 'RSON')
    .map((r) => at(r, 'observation') ?? at(r, 'act'))[0];
  return toCodeableConcept(at(reason, 'code')) ?? toCodeableConcept(at(reason, 'value'));
}
