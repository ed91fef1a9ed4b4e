/** A composed statement's text, kept while the fragments it was made of live (see `Sql.toQuery`). */
export interface StatementShape {
  readonly text: string;
  /** The placeholder number of each value (arrays bound twice share one). */
  readonly numbers: readonly number[];
}

/**
 * Texts of statements composed from frozen strings (template literals, and what `sql` composes from them: see
 * `composedStrings`), keyed by the strings array. The read of every audited request composes the same 3.3 KB text
 * under its caller's access predicate: building it again, then flattening and comparing it to find its prepared
 * statement's name (`PgDb`), was work and garbage at each request for a text that had not changed.
 */
const shapes = new WeakMap<readonly string[], StatementShape>();

/**
 * A tiny SQL expression builder: fragments carry their values separately, and placeholders are
 * numbered only when the final statement is built, so every value is a bound parameter and
 * fragments compose freely (access predicate AND search predicate AND …).
 */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /**
   * The statement text with $1..$n placeholders and its values. An array bound several times (the same object:
   * the access predicate names the actor's keys in five places) is sent once, as one placeholder; scalars are
   * not merged, since PostgreSQL would then have to give one parameter the types of all its uses.
   */
  toQuery(): { text: string; values: unknown[] } {
    const { text, values } = this.toStatement();
    return { text, values };
  }

  /**
   * `toQuery` with the text's shape: for frozen strings and the same placeholder numbers, the same shape object (and
   * `text` the same string) at each call, which `PgDb` names its prepared statement by without reading the text.
   */
  toStatement(): { text: string; values: unknown[]; shape?: StatementShape } {
    const values: unknown[] = [];
    const numbers: number[] = new Array(this.values.length);
    let arrays: Map<unknown, number> | undefined;
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i];
      let n = Array.isArray(value) ? arrays?.get(value) : undefined;
      if (n === undefined) {
        n = values.push(value);
        if (Array.isArray(value)) (arrays ??= new Map()).set(value, n);
      }
      numbers[i] = n;
    }
    const frozen = Object.isFrozen(this.strings);
    const known = frozen ? shapes.get(this.strings) : undefined;
    if (known && sameNumbers(known.numbers, numbers)) return { text: known.text, values, shape: known };
    let text = this.strings[0];
    for (let i = 0; i < numbers.length; i++) text += `$${numbers[i]}` + this.strings[i + 1];
    if (!frozen) return { text, values };
    const shape: StatementShape = { text: flat(text), numbers };
    shapes.set(this.strings, shape);
    return { text: shape.text, values, shape };
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The string flattened once (V8 builds `+=` results as ropes; every later slice or comparison would flatten it). */
function flat(text: string): string {
  // A look at one character flattens the rope in place, once, for every later reader of this string.
  void text.charCodeAt(text.length >> 1);
  return text;
}

/**
 * A statement planned again at each execution: never kept as a named prepared statement (`PgDb`), whose plan would
 * otherwise be made once per connection, from the table's size when the connection first ran it. For look-ups in
 * tables that start empty and grow with use (audit chain heads, first accesses): planned on the empty table the
 * plan is a sequential scan, and without an ANALYZE to invalidate it (autovacuum off, or not yet run) every later
 * execution read the whole table — in one 20-s bench round at 1M documents, 2,344 scans of 12,000 rows on average,
 * one per audit flush, a cost that grows with every record accessed. Planning such a look-up costs ~0.1 ms, once per
 * batch.
 */
export class FreshPlanSql extends Sql {}

/** Marks a statement to be planned at each execution (see `FreshPlanSql`). */
export function planEachTime(statement: Sql): FreshPlanSql {
  return new FreshPlanSql(statement.strings, statement.values);
}

/** What a template's strings composed with nested fragments of given strings gave (see `composedStrings`). */
interface Composition {
  strings?: readonly string[];
  next?: WeakMap<readonly string[], Composition>;
}

const compositions = new WeakMap<readonly string[], Composition>();
/** Stands for a bound value (not a fragment) in a composition's key. */
const BOUND: readonly string[] = Object.freeze([]);

/**
 * The strings of a template whose nested fragments are all made of frozen strings, composed once and frozen: the
 * same template nesting the same fragments (the read statement around a caller's cached access predicate) gives the
 * same array, whose text `toQuery` then keeps. Undefined when a fragment's strings are not frozen (built at each
 * request: search clauses, `raw` texts): those statements are composed afresh, as before.
 */
function composedStrings(strings: TemplateStringsArray, values: readonly unknown[]): Composition | undefined {
  let node: Composition | undefined = compositions.get(strings);
  if (!node) compositions.set(strings, (node = {}));
  for (const value of values) {
    const key = value instanceof Sql ? value.strings : BOUND;
    if (!Object.isFrozen(key)) return undefined;
    let next: Composition | undefined = node.next?.get(key);
    if (!next) (node.next ??= new WeakMap()).set(key, (next = {}));
    node = next;
  }
  return node;
}

/** Tagged template: `sql\`a = ${value}\``. A nested Sql fragment is inlined, anything else is bound. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  const composition = composedStrings(strings, values);
  const outStrings: string[] = composition?.strings ? [] : [strings[0]];
  const outValues: unknown[] = [];
  values.forEach((value, i) => {
    if (value instanceof Sql) {
      for (let j = 0; j < value.values.length; j++) outValues.push(value.values[j]);
      if (composition?.strings) return;
      outStrings[outStrings.length - 1] += value.strings[0];
      for (let j = 0; j < value.values.length; j++) outStrings.push(value.strings[j + 1]);
      outStrings[outStrings.length - 1] += strings[i + 1];
    } else {
      outValues.push(value);
      if (!composition?.strings) outStrings.push(strings[i + 1]);
    }
  });
  if (composition && !composition.strings) composition.strings = Object.freeze(outStrings);
  return new Sql(composition?.strings ?? outStrings, outValues);
}

/**
 * A fragment made once and kept (a module's constant, a cached predicate): its strings frozen, so that the statements
 * nesting it keep their composed text (`composedStrings`). Never for fragments built per request: each would leave
 * a kept composition behind it until collected.
 */
export function fixed<T extends Sql>(fragment: T): T {
  Object.freeze(fragment.strings);
  return fragment;
}

/** Trusted SQL text (identifiers and keywords we write ourselves, never user input). */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * A name from the server's vocabulary (a resource type, a search parameter code) written into the statement as a
 * literal, where a parameter would hide it from the planner: with `x.param = $3`, PostgreSQL's generic plan of a
 * prepared search cannot tell which rows it reads, estimates it costlier than a fresh plan for each execution, and
 * so plans every execution again (0.2–0.9 ms for a search under an access predicate). Anything that is not such a
 * name stays a bound parameter.
 */
export function name(value: string): Sql {
  return NAME.test(value) ? raw(`'${value}'`) : sql`${value}`;
}

/**
 * Joins fragments with a separator such as ' AND ' or ', ', in one pass: folding them pairwise copied the joined
 * part again at each step, and a search of 50,000 OR'ed codes held the event loop for minutes.
 */
export function join(parts: readonly Sql[], separator: string): Sql {
  if (parts.length === 0) return raw('');
  const strings = [...parts[0].strings];
  const values = [...parts[0].values];
  for (let p = 1; p < parts.length; p++) {
    const part = parts[p];
    strings[strings.length - 1] += separator + part.strings[0];
    for (let j = 0; j < part.values.length; j++) {
      values.push(part.values[j]);
      strings.push(part.strings[j + 1]);
    }
  }
  return new Sql(strings, values);
}

/** AND of predicates; TRUE when there are none. */
export function and(parts: readonly Sql[]): Sql {
  if (parts.length === 0) return raw('TRUE');
  if (parts.length === 1) return parts[0];
  return sql`((${join(parts, ') AND (')}))`;
}

/** OR of predicates; FALSE when there are none (fails closed). */
export function or(parts: readonly Sql[]): Sql {
  if (parts.length === 0) return raw('FALSE');
  if (parts.length === 1) return parts[0];
  return sql`((${join(parts, ') OR (')}))`;
}

export const TRUE = raw('TRUE');
export const FALSE = raw('FALSE');
