/**
 * A slot of per-request state, declared (and typed) by the module that owns it: `new StateKey<DmpActor>('access.actor')`.
 * Keys are compared by identity, so two modules can never collide on a name, and a value is read back with the type
 * it was stored with (no casts from an untyped bag).
 */
export class StateKey<T> {
  /** Carries T for the type checker only. */
  declare readonly valueType?: T;
  constructor(readonly name: string) {}
}

/**
 * The typed per-request state that hooks and operations share (the actor, the access plan, the open transaction …).
 * Each module reads and writes only the keys it declares or that another module exports for it.
 */
export class RequestState {
  private readonly values: Map<StateKey<unknown>, unknown>;

  constructor(values?: Map<StateKey<unknown>, unknown>) {
    this.values = new Map(values);
  }

  /** The value of a slot, or undefined when unset. */
  get<T>(key: StateKey<T>): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  /** Sets a slot. */
  set<T>(key: StateKey<T>, value: T): void {
    this.values.set(key, value);
  }

  /** The value of a slot, set first from `create` when unset. */
  getOrSet<T>(key: StateKey<T>, create: () => T): T {
    if (!this.values.has(key)) this.values.set(key, create());
    return this.values.get(key) as T;
  }

  /** Clears a slot. */
  delete(key: StateKey<unknown>): void {
    this.values.delete(key);
  }

  /** A copy for a derived context: the same values, changed independently from now on. */
  copy(): RequestState {
    return new RequestState(this.values);
  }
}
