import { AccessPredicateCache } from '../../../src/access/access-predicate-cache';
import { compileAccess } from '../../../src/access/compile-access';
import { decideAccess } from '../../../src/access/decide-access';
import type { Interaction } from '../../../src/fhir/context';
import { ACTORS } from './actors';

const INTERACTIONS: Interaction[] = ['read', 'search-type', 'search-system', 'history-instance', 'create', 'update', 'delete'];

describe('memoised access predicates', () => {
  it('give every actor, for every interaction and instant, exactly the predicate compileAccess gives', () => {
    const cache = new AccessPredicateCache();
    let compared = 0;
    for (const at of ['2026-03-01T12:00:00Z', '2027-06-15T08:30:00Z']) {
      for (const [name, actor] of Object.entries(ACTORS)) {
        for (const interaction of INTERACTIONS) {
          const plan = decideAccess(actor, interaction, 'DocumentReference', { now: new Date(at) });
          expect({ name, interaction, query: cache.compile(plan).toQuery() }).toEqual({ name, interaction, query: compileAccess(plan).toQuery() });
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('never serves one actor the predicate of another', () => {
    const cache = new AccessPredicateCache();
    const now = new Date('2026-03-01T12:00:00Z');
    const gp = cache.compile(decideAccess(ACTORS['treating physician'], 'read', 'Patient', { now })).toQuery();
    const spec = cache.compile(decideAccess(ACTORS['authorised specialist'], 'read', 'Patient', { now })).toQuery();
    expect(spec.values).not.toEqual(gp.values);
  });
});
