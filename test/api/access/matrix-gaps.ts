import { typesOfClass } from '../../../src/access/resource-classes';

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

const CLINICAL = typesOfClass('clinical');
const DIRECTORY = typesOfClass('directory');
const PROFESSIONALS = ['gp', 'spec', 'unauth', 'blocked', 'author', 'samu', 'btg'];

export const KNOWN_GAPS: readonly KnownGap[] = [
  // Chains.
  {
    actors: ['author'],
    interactions: ['search-chain'],
    types: CLINICAL.filter((t) => t !== 'Binary'),
    fix: 'chains: patient.identifier / subject.identifier matches through Patient p1, which the author of a document may not see (his documents and their extracted resources come out)',
  },
  // Directory writes.
  {
    actors: PROFESSIONALS,
    interactions: ['create', 'update', 'patch', 'delete'],
    types: DIRECTORY,
    fix: 'directory writes: professionals create, change and delete directory entries (administrators and the import only)',
  },
  { actors: ['feeder'], interactions: ['create', 'update', 'patch'], types: DIRECTORY, fix: 'directory writes: feeders create and change directory entries' },
  { actors: ['am'], interactions: ['create'], types: DIRECTORY, fix: 'directory writes: the Assurance Maladie creates directory entries' },
  // Provenance.
  {
    actors: ['patient', 'guardian'],
    interactions: ['update', 'patch', 'delete'],
    types: [...CLINICAL, 'Communication'],
    fix: 'provenance: the patient and his guardian change and delete rows the import wrote (only the writer may; extracted resources only by replacing their document)',
  },
  {
    actors: ['gp', 'spec'],
    interactions: ['update', 'patch'],
    types: [...CLINICAL, 'Patient', 'RelatedPerson', 'Communication'],
    fix: 'provenance: the treating physician and authorised professionals change rows they did not write (the import\'s), the Patient included',
  },
  {
    actors: ['gp', 'spec'],
    interactions: ['update-patients-entry'],
    types: [...CLINICAL, 'RelatedPerson', 'Communication'],
    fix: "provenance: the treating physician and authorised professionals change the patient's own entries (the patient's and his guardian's only)",
  },
  {
    actors: ['gp'],
    interactions: ['delete-own'],
    types: [...CLINICAL.filter((t) => t !== 'DocumentReference'), 'RelatedPerson', 'Communication'],
    fix: 'provenance: a professional may not delete what he wrote himself (today only the author named in a DocumentReference may delete)',
  },
  {
    actors: ['spec'],
    interactions: ['delete-own'],
    types: [...CLINICAL, 'RelatedPerson', 'Communication'],
    fix: 'provenance: a professional may not delete what he wrote himself, a document naming another author included',
  },
];

/** The gap entries matching one case. */
export function gapsOf(actor: string, interaction: string, type: string): KnownGap[] {
  return KNOWN_GAPS.filter(
    (g) => (g.actors === '*' || g.actors.includes(actor)) && g.interactions.includes(interaction) && (g.types === '*' || g.types.includes(type)),
  );
}
