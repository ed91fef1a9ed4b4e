
// Cases of the generated access matrix (matrix.test.ts) that fail today, each group with the issue-11 item whose
// fix makes it pass. The matrix keeps every case and its expectation from the rules; a case matched here is
// reported with console.warn and must still FAIL: once the fix lands the entry fails and must be removed.

/** A group of cases that currently fail, and the issue-11 item that fixes them. */
export interface KnownGap {
  /** Actor keys (MATRIX_ACTORS), or '*' for all. */
  actors: readonly string[] | '*';
  /** Interaction names of the matrix (`read`, `search-patient`, `update` …). */
  interactions: readonly string[];
  /** Resource types, or '*' for all. */
  types: readonly string[] | '*';
  /** Why it fails, and the issue-11 item that fixes it. */
  fix: string;
}


export const KNOWN_GAPS: readonly KnownGap[] = [
];

/** The gap entries matching one case. */
export function gapsOf(actor: string, interaction: string, type: string): KnownGap[] {
  return KNOWN_GAPS.filter(
    (g) => (g.actors === '*' || g.actors.includes(actor)) && g.interactions.includes(interaction) && (g.types === '*' || g.types.includes(type)),
  );
}
