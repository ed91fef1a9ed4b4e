import { FALSE, fixed, Sql } from '../store/sql';
import type { AccessPlan, AllowPlan } from './access-plan';
import { compileAccess } from './compile-access';

/** Stands for the plan's instant in a cached predicate; replaced by each request's own. */
const AT = Object.freeze({ placeholder: 'access-plan-at' });

/**
 * Everything `compileAccess` reads from a plan except its instant. Fields are joined with a control character
 * that no id, key (`system|value`) or type contains.
 */
function signature(plan: AllowPlan): string {
  return [
    plan.directory ? 'd' : '',
    plan.own ? `${plan.own.patientIds.join('\u0002')}\u0003${plan.own.hiddenCodes.join('\u0002')}` : '-',
    plan.professional ? `${plan.professional.mode}\u0003${plan.professional.keys.join('\u0002')}` : '-',
    plan.readableTypes ? plan.readableTypes.join('\u0002') : '*',
    plan.constrainedTypes ? JSON.stringify(plan.constrainedTypes) : '-',
    plan.feed ? String(plan.feed.requireOpen) : '-',
  ].join('\u0001');
}

/**
 * `compileAccess` memoised per actor shape: the same caller gets the same predicate on every request but for
 * the instant its consent periods are checked at, so the predicate is compiled once with a placeholder and
 * each request only binds its instant (compiling, twice per request, was a visible part of an access-checked
 * read). Bounded: the oldest shapes go first.
 */
export class AccessPredicateCache {
  private readonly entries = new Map<string, Sql>();

  constructor(private readonly maxEntries = 10_000) {}

  compile(plan: AccessPlan): Sql {
    if (plan.effect !== 'allow') return FALSE;
    const key = signature(plan);
    let template = this.entries.get(key);
    if (!template) {
      // Fixed, its strings are the same array at every request: the statements around it keep their composed text
      // (`kernel/sql.ts`) instead of building 3 KB again for each read.
      template = fixed(compileAccess({ ...plan, at: AT as unknown as string }));
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, template);
    }
    return new Sql(template.strings, template.values.map((v) => (v === AT ? plan.at : v)));
  }
}
