import { isNegated } from '../mapping-context';
import { hasAnyTemplate, type EntryMapper } from './entry-mapper';
import { mapResultObservation } from './lab-result';

/** Social history observations (CCD, IHE PCC, CI-SIS FR-Habitus-mode-de-vie, C-CDA social history / smoking status). */
const SOCIAL_HISTORY_TEMPLATES = [
  '2.16.840.1.113883.10.20.1.33',
  '1.3.6.1.4.1.19376.1.5.3.1.4.13.4',
  '1.2.250.1.213.1.1.3.52',
  '2.16.840.1.113883.10.20.22.4.38',
  '2.16.840.1.113883.10.20.22.4.78',
];

/**
 * Social history (tobacco, alcohol, way of life …) → Observation of category `social-history` with its coded or
 * measured value (`25 {pack}/a` keeps its unit and digits). A negated statement is reported, not turned into a value.
 */
export const socialHistoryMapper: EntryMapper = {
  name: 'social-history',
  matches: (ids, node) => node.name === 'observation' && hasAnyTemplate(ids, SOCIAL_HISTORY_TEMPLATES),
  map(statement, location, ctx) {
    if (isNegated(statement)) {
      ctx.warnings.push(`Entry ${location.path}: negated social-history observation; not represented`);
      return;
    }
    mapResultObservation(statement, location, ctx, { path: location.path, category: 'social-history' });
  },
};
