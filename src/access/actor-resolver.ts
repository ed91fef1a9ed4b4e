import type { SystemRepository } from '../system/system-repository';
import { onSettled } from '../store/settle';
import type { WriteTransaction } from '../store/write-transaction';
import type { DmpActor } from './actor';
import { resolveActor } from './resolve-actor';
import { fhirUserTarget } from '../auth/claims-to-actor';

/** Resource types whose writes change what `resolveActor` finds (directory entries, INS, guardian links). */
export const IDENTITY_TYPES: ReadonlySet<string> = new Set(['Patient', 'Practitioner', 'RelatedPerson']);

export interface ActorResolverOptions {
  /**
   * How long a resolution is reused. Writes through this process invalidate at once; the bound is for writes
   * made by another server process on the same database (default 5 s, 0 disables the cache).
   */
  ttlMs?: number;
  maxEntries?: number;
  clock?: () => number;
}

interface Entry {
  keys: string[];
  patientIds: string[];
  generation: number;
  at: number;
}

/**
 * What a resolution depends on: the same token subject resolves the same way until an identity write. A
 * practitioner's resolution also checks the entry his `fhirUser` names (one of his own, else 401), so that claim is
 * part of the key: keyed by his identifiers alone, a token naming the treating physician's entry, sent within seconds
 * of one without, was served from the cache unchecked and the patient's trail named the treating physician as the
 * reader (attack sweep 9).
 */
function cacheKey(actor: DmpActor): string | undefined {
  if (actor.kind === 'practitioner') {
    const claimed = actor.claims ? fhirUserTarget(actor.claims) : undefined;
    return `practitioner\n${claimed ? `${claimed.type}/${claimed.id}` : '-'}\n${actor.keys.join('\n')}`;
  }
  if (actor.kind === 'patient' && actor.ins) return `patient\n${actor.ins}\n${actor.patientIds.join('\n')}`;
  // A guardian's compartments depend on the request's instant (the minor's 18th birthday, the end of a court
  // measure: issue 12), so they are resolved afresh on every request and never kept.
  return undefined;
}

/**
 * `resolveActor` on the system repository, with a per-process cache (system work: it runs before any access is
 * decided, for whoever presents a token, so it holds the named system repository its wiring gives, never a raw
 * connection; the access hooks hold this resolver, not the repository): every authenticated request needs the actor's directory keys or
 * compartments, and that query was one of the two round trips of an access-controlled read. An identity write
 * invalidates every entry when it begins and again when its transaction ends: until it commits, other
 * connections still read the old rows, and a lookup made meanwhile must not outlive the write.
 */
export class ActorResolver {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(
    private readonly system: SystemRepository,
    options: ActorResolverOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  /** `now`: the request's instant, for what depends on it (guardians, never cached). */
  async resolve(actor: DmpActor, requestNow: Date = new Date()): Promise<DmpActor> {
    const key = this.ttlMs > 0 ? cacheKey(actor) : undefined;
    if (key === undefined) return resolveActor(this.system, actor, requestNow);
    const hit = this.entries.get(key);
    const now = this.clock();
    if (hit && hit.generation === this.generation && now - hit.at < this.ttlMs) {
      // Object.assign: V8 (Node 20) defines properties written after a spread one by one in its runtime.
      return Object.assign({}, actor, { keys: hit.keys, patientIds: hit.patientIds });
    }
    const generation = this.generation;
    const resolved = await resolveActor(this.system, actor, requestNow);
    if (generation === this.generation) this.store(key, { keys: resolved.keys, patientIds: resolved.patientIds, generation, at: now });
    return resolved;
  }

  /** Call inside the transaction writing a resource of `IDENTITY_TYPES`. */
  identityWritten(tx: WriteTransaction): void {
    this.generation++;
    onSettled(tx, () => this.generation++);
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, entry);
  }
}
