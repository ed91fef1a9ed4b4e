import type { Observation } from '@medplum/fhirtypes';
import { isNegated } from '../mapping-context';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { mapResultObservation } from './lab-result';

/** IHE PCC Pregnancy Observation, CI-SIS FR-Observation-sur-la-grossesse (pregnancy history section 10162-6). */
const PREGNANCY_TEMPLATES = ['1.3.6.1.4.1.19376.1.5.3.1.4.13.5', '1.2.250.1.213.1.1.3.53'];

/**
 * A pregnancy observation (status 11449-6, expected delivery date 11778-8, number of living children 11638-4, of
 * terminations 11612-9 …: LOINC codes as the document gives them) → Observation of category `social-history` (where
 * C-CDA and US Core file pregnancy status), its value as stated (coded, integer, date).
 *
 * A pregnancy status is true on a date: when the observation has no date of its own (IPS-FR says `nullFlavor="NA"`),
 * it is dated by the document that states it, so that "pregnant" read years later is not taken for a current fact.
 * A negated observation is reported, not turned into a value.
 */
export const pregnancyMapper: EntryMapper = {
  name: 'pregnancy',
  matches: (ids, node) => node.name === 'observation' && hasAnyTemplate(ids, PREGNANCY_TEMPLATES),
  map(statement, location, ctx) {
    if (isNegated(statement)) {
      ctx.warnings.push(`Entry ${location.path}: negated pregnancy observation; not represented`);
      return;
    }
    const fullUrl = mapResultObservation(statement, location, ctx, { path: location.path, category: 'social-history' });
    const observation = ctx.builder.resourceAt(fullUrl) as Observation;
    if (!observation.effectiveDateTime && !observation.effectivePeriod && ctx.documentTime) {
      observation.effectiveDateTime = ctx.documentTime;
      // Said in the import's outcome: the date is the document's, not one the sender gave the observation.
      ctx.warnings.push(`Entry ${location.path}: pregnancy observation without a date of its own; dated by the document (${ctx.documentTime.slice(0, 10)})`);
    }
  },
};
