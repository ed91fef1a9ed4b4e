import { compileAccess } from '../../../src/access/compile-access';
import { decideAccess } from '../../../src/access/decide-access';
import { resolveActor } from '../../../src/access/resolve-actor';
import type { Db } from '../../../src/store/db';
import { sql } from '../../../src/store/sql';
import { ACTORS } from './actors';
import { loadFixture } from './fixture';
import { openTestDb } from './test-db';

const now = new Date('2026-03-01T12:00:00Z');
const doc = (d: string) => [d, `${d}-bin`, `${d}-obs`];
const P1_BASE = ['p1', 'rp1', 'a1'];
const P1_PATIENT_ONLY = ['c1-open', 'c1-spec', 'c1-other-withdrawn', 'c1-blocked', 'c1-blocked-permit', 'c1-mask', 'ae1'];
const P1_ALL = [...P1_BASE, ...P1_PATIENT_ONLY, ...doc('d1'), ...doc('d2'), ...doc('d3'), ...doc('d4'), ...doc('d5')];
const P1_UNMASKED = [...P1_BASE, ...doc('d1'), ...doc('d4'), ...doc('d5')];
const P2_ALL = ['p2', 'c2-open', 'c2-spec-expired', 'c2-no-btg', 'c2-no-samu', ...doc('e1')];
const P3_ALL = ['p3', ...doc('f1')];
const P4_ALL = ['p4', 'c4-open', 'c4-spec', ...doc('g1')];
const DIRECTORY = ['gp', 'blocked', 'org1'];
const without = (all: string[], ...hidden: string[][]) => all.filter((id) => !hidden.flat().includes(id));

type Expected = { p1: string[]; p2: string[]; p3: string[]; p4: string[]; directory: string[] };
const none: Expected = { p1: [], p2: [], p3: [], p4: [], directory: [] };
const onlyDirectory: Expected = { ...none, directory: DIRECTORY };

/** Actor → rows visible in each compartment (patient compartments p1–p4, and rows without compartment). */
const EXPECTED: Record<string, Expected> = {
  patient: { ...onlyDirectory, p1: without(P1_ALL, doc('d4')) },
  'patient by INS': { ...onlyDirectory, p1: without(P1_ALL, doc('d4')) },
  'patient without an open record': { ...onlyDirectory, p3: P3_ALL },
  'patient who refused emergency access': { ...onlyDirectory, p2: P2_ALL },
  'patient of a closed record': { ...onlyDirectory, p4: P4_ALL },
  guardian: { ...onlyDirectory, p1: without(P1_ALL, doc('d4'), doc('d5')) },
  'treating physician': { ...onlyDirectory, p1: without(P1_ALL, P1_PATIENT_ONLY) },
  'authorised specialist': { ...onlyDirectory, p1: P1_UNMASKED },
  'unauthorised practitioner': onlyDirectory,
  'withdrawn practitioner': onlyDirectory,
  'blocked practitioner': onlyDirectory,
  'author of a masked document': { ...onlyDirectory, p1: [...doc('d1'), ...doc('d2'), ...doc('d3')] },
  'SAMU regulator': { ...onlyDirectory, p1: P1_UNMASKED },
  'break-glass practitioner': { ...onlyDirectory, p1: P1_UNMASKED },
  'break-glass without reason': none,
  insurer: none,
  employer: none,
  bank: none,
  'occupational health': none,
  'Assurance Maladie': none,
  feeder: onlyDirectory, // feeders cannot read, not even Patient identities (issue 11, attack 6)
};

const COMPARTMENTS: Record<keyof Expected, ReturnType<typeof sql>> = {
  p1: sql`r.compartment = 'p1'`,
  p2: sql`r.compartment = 'p2'`,
  p3: sql`r.compartment = 'p3'`,
  p4: sql`r.compartment = 'p4'`,
  directory: sql`r.compartment IS NULL`,
};

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
  await loadFixture(db);
});
afterAll(() => db.close());

async function accessFor(actorName: string, interaction: 'search-system' | 'search-type' | 'read', resourceType?: string) {
  const actor = await resolveActor(db, ACTORS[actorName]);
  return compileAccess(decideAccess(actor, interaction, resourceType, { now }));
}

/** Ids and total of a search: one page of `count` at a time, as the store pages, to check paging too. */
async function searchAll(access: ReturnType<typeof sql>, where: ReturnType<typeof sql>, count = 4): Promise<{ ids: string[]; total: number }> {
  const total = (await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource r WHERE NOT r.deleted AND ${access} AND ${where}`)).rows[0].n;
  const ids: string[] = [];
  for (let offset = 0; ; offset += count) {
    const page = await db.query<{ id: string }>(
      sql`SELECT r.id FROM resource r WHERE NOT r.deleted AND ${access} AND ${where} ORDER BY r.id LIMIT ${count} OFFSET ${offset}`,
    );
    ids.push(...page.rows.map((row) => row.id));
    if (page.rows.length < count) break;
  }
  return { ids, total };
}

const cases = Object.entries(EXPECTED).flatMap(([actor, expected]) =>
  (Object.keys(COMPARTMENTS) as (keyof Expected)[]).map((compartment) => ({ actor, compartment, ids: [...expected[compartment]].sort() })),
);

describe('search across every page shows exactly the permitted rows', () => {
  test.each(cases)('$actor searching $compartment sees $ids.length rows', async ({ actor, compartment, ids }) => {
    const result = await searchAll(await accessFor(actor, 'search-system'), COMPARTMENTS[compartment]);
    expect(result.ids).toEqual(ids);
    expect(result.total).toBe(ids.length);
  });
});

describe('DocumentReference search totals count only permitted documents', () => {
  test.each(cases)('$actor searching DocumentReference in $compartment', async ({ actor, compartment, ids }) => {
    const access = await accessFor(actor, 'search-type', 'DocumentReference');
    const result = await searchAll(access, sql`r.type = 'DocumentReference' AND ${COMPARTMENTS[compartment]}`, 2);
    const expectedDocs = ids.filter((id) => /^[defg]\d$/.test(id));
    expect(result.ids).toEqual(expectedDocs);
    expect(result.total).toBe(expectedDocs.length);
  });
});

describe('reading a Binary answers exactly like its DocumentReference', () => {
  const binaries = ['d1', 'd2', 'd3', 'd4', 'd5', 'e1', 'g1'];
  const readCases = Object.entries(EXPECTED).flatMap(([actor, expected]) =>
    binaries.map((d) => ({ actor, binary: `${d}-bin`, visible: Object.values(expected).flat().includes(`${d}-bin`) })),
  );
  test.each(readCases)('$actor reading Binary/$binary: visible=$visible', async ({ actor, binary, visible }) => {
    const access = await accessFor(actor, 'read', 'Binary');
    const { rows } = await db.query(sql`SELECT r.id FROM resource r WHERE r.type = 'Binary' AND r.id = ${binary} AND NOT r.deleted AND ${access}`);
    expect(rows.length).toBe(visible ? 1 : 0);
  });
});
