// The statements a write through the production composition sends, by kind: the tests that pin how many statements
// an intake path costs (statements-per-import, statements-per-provide) count them with the same patterns.

export const WRITE_STATEMENT_KINDS: readonly [string, RegExp][] = [
  ['resource write (write-behind flush)', /^WITH input AS \( SELECT u\.\*, j\.text::text AS text FROM unnest\(/],
  ['audit event', /^WITH v AS \( SELECT \* FROM json_to_recordset\(/],
  ['audit chain head', /^INSERT INTO audit_chain_head /],
  ['access_writer', /^INSERT INTO access_writer /],
  ['record state (access_record, open consent)', /^SELECT EXISTS \(SELECT 1 FROM access_record WHERE patient_id = \$1\) AS exists/],
  ['write predicate (consents)', /^SELECT \(\(\(EXISTS \(SELECT 1 FROM access_consent ao /],
];

/** How many statements of each kind were sent; a statement of no listed kind counts as `other`. */
export function countStatementKinds(statements: string[], kinds: readonly [string, RegExp][], other: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const statement of statements) {
    const kind = kinds.find(([, pattern]) => pattern.test(statement))?.[0] ?? other;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
