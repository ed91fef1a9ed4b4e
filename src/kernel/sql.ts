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
    let text = this.strings[0];
    const values: unknown[] = [];
    const arrays = new Map<unknown, number>();
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i];
      let n = Array.isArray(value) ? arrays.get(value) : undefined;
      if (n === undefined) {
        n = values.push(value);
        if (Array.isArray(value)) arrays.set(value, n);
      }
      text += `$${n}` + this.strings[i + 1];
    }
    return { text, values };
  }
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

/** Tagged template: `sql\`a = ${value}\``. A nested Sql fragment is inlined, anything else is bound. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  const outStrings: string[] = [strings[0]];
  const outValues: unknown[] = [];
  values.forEach((value, i) => {
    if (value instanceof Sql) {
      outStrings[outStrings.length - 1] += value.strings[0];
      for (let j = 0; j < value.values.length; j++) {
        outValues.push(value.values[j]);
        outStrings.push(value.strings[j + 1]);
      }
      outStrings[outStrings.length - 1] += strings[i + 1];
    } else {
      outValues.push(value);
      outStrings.push(strings[i + 1]);
    }
  });
  return new Sql(outStrings, outValues);
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
