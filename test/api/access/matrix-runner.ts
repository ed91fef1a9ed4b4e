import type { Resource } from '@medplum/fhirtypes';
import type request from 'supertest';
import { gapsOf } from './matrix-gaps';
import { MATRIX_ACTORS, type ExpectedStatus, type MatrixActor } from './matrix-rules';

// How matrix.test.ts runs its cases and judges answers: each case answers its problem (undefined when the answer is
// the expected one); a problem is a failure unless a KNOWN_GAPS entry names the case.

interface Entry { resource: Resource & { id: string }; search?: { mode: string } }
export interface BundleBody { total?: number; entry?: Entry[]; link?: { relation: string; url: string }[] }

/** One case: a type, an interaction, and a check answering the problem (undefined when as expected). */
export interface Case { type: string; interaction: string; check: () => Promise<string | undefined> }

/** A case that ran, with its problem if it failed. */
export interface Outcome { actor: string; type: string; interaction: string; problem?: string }

/** Requests in flight at once (one app, one database: more only queues). */
const BATCH = 16;

/** Every case declared (run or not: a `-t` filter runs some), and every case that ran. */
export const planned: Omit<Outcome, 'problem'>[] = [];
export const outcomes: Outcome[] = [];

export const sorted = (xs: string[]): string[] => [...xs].sort();
export const statusOk = (status: number, expected: ExpectedStatus): boolean => (Array.isArray(expected) ? expected.includes(status) : status === expected);
export const describeStatus = (expected: ExpectedStatus): string => (Array.isArray(expected) ? expected.join(' or ') : String(expected));

/** The problem with a response's status, with the start of its OperationOutcome's diagnostics. */
export function statusProblem(res: request.Response, expected: ExpectedStatus): string | undefined {
  if (statusOk(res.status, expected)) return undefined;
  const diagnostics = (res.body?.issue?.[0]?.diagnostics as string | undefined)?.slice(0, 100);
  return `status ${res.status}, expected ${describeStatus(expected)}${diagnostics ? ` (${diagnostics})` : ''}`;
}

/** The problem with a searchset: its matches and total (unless `total: false`) and, when given, its included rows. */
export function bundleProblem(res: request.Response, matches: string[], included?: string[], options: { total?: boolean } = {}): string | undefined {
  if (res.status !== 200) return statusProblem(res, 200);
  const body = res.body as BundleBody;
  const entries = body.entry ?? [];
  const got = sorted(entries.filter((e) => e.search?.mode !== 'include').map((e) => e.resource.id));
  const problems: string[] = [];
  if (JSON.stringify(got) !== JSON.stringify(sorted(matches))) problems.push(`matches [${got}], expected [${sorted(matches)}]`);
  if (options.total !== false && body.total !== matches.length) problems.push(`total ${body.total}, expected ${matches.length}`);
  if (included) {
    const inc = sorted(entries.filter((e) => e.search?.mode === 'include').map((e) => e.resource.id));
    if (JSON.stringify(inc) !== JSON.stringify(sorted(included))) problems.push(`included [${inc}], expected [${sorted(included)}]`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

/** Runs one actor's cases a batch at a time, records their outcomes, and fails on any problem no known gap names. */
async function runCases(actor: MatrixActor, cases: Case[]): Promise<void> {
  const unexpected: string[] = [];
  for (let i = 0; i < cases.length; i += BATCH) {
    const batch = cases.slice(i, i + BATCH);
    const problems = await Promise.all(batch.map((c) => c.check().catch((err: Error) => `threw ${err.message}`)));
    batch.forEach((c, j) => {
      const problem = problems[j];
      outcomes.push({ actor: actor.key, type: c.type, interaction: c.interaction, problem });
      if (problem && gapsOf(actor.key, c.interaction, c.type).length === 0) unexpected.push(`${c.interaction} ${c.type}: ${problem}`);
    });
  }
  expect(unexpected).toEqual([]);
}

/** Declares a group of cases: one test per actor that has some, its cases registered in `planned`. */
export function section(title: string, casesOf: (actor: MatrixActor) => Case[]): void {
  const actors = MATRIX_ACTORS.filter((actor) => casesOf(actor).length > 0);
  for (const actor of actors) for (const c of casesOf(actor)) planned.push({ actor: actor.key, type: c.type, interaction: c.interaction });
  describe(title, () => {
    test.each(actors.map((x) => [x.label, x] as const))('%s', (_label, actor) => runCases(actor, casesOf(actor)), 60_000);
  });
}
