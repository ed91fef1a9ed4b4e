import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { classOf, OFFERED_TYPES, supportedInteractions } from '../../../src/access/resource-classes';
import { searchParams } from '../../../src/fhir/search-registry';
import { FIXTURE, INS_NIR, P1_INS, RPPS, loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import {
  buildMatrixRows, CHANGED_LANGUAGE, careHistoryDocument, clinicalInstance, DIRECTORY_ORG_PARAM, directoryInstance, loadMatrixRows,
  GOVERNED_TYPES, newPatient, RECORD_ROWS, recordInstance, RESTRICTED_DOCS, rowId, writeTarget,
} from './matrix-fixture';
import { gapsOf, KNOWN_GAPS, type KnownGap } from './matrix-gaps';
import { bundleProblem, describeStatus, outcomes, planned, section, sorted, statusOk, statusProblem, type BundleBody, type Case } from './matrix-runner';
import {
  buildCatalog, changePatientsEntryStatus, changeStatus, createStatus, ownChangeStatus, RECORDS, MATRIX_ACTORS, NOT_OFFERED_TYPES, readStatus, searchStatus, sees,
  targetKey, type ExpectedStatus, type MatrixActor, type RowFacts,
} from './matrix-rules';

// Issue 11's generated access matrix: every offered resource type × every actor kind × every interaction →
// expected status and result set (with totals), through HTTP, on fixture.ts's records plus one instance of every
// type (matrix-fixture.ts). Expectations come from the rules (matrix-rules.ts); cases failing today are listed in
// KNOWN_GAPS (matrix-gaps.ts) and must keep failing until their fix lands.

const MATRIX_ROWS = buildMatrixRows(MATRIX_ACTORS.map(targetKey));
const CATALOG = buildCatalog(FIXTURE, MATRIX_ROWS);
const FACTS = new Map(CATALOG.map((r) => [`${r.type}/${r.id}`, r]));
const RESOURCES = new Map([...FIXTURE, ...MATRIX_ROWS.map((m) => m.resource)].map((r) => [`${r.resourceType}/${r.id}`, r]));

let a: AccessApp;
const tokens = new Map<string, string>();

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  await loadMatrixRows(a.service, MATRIX_ROWS);
  for (const actor of MATRIX_ACTORS) tokens.set(actor.key, await a.token(actor.mint));
}, 180_000);
afterAll(() => a?.close());

function facts(type: string, id: string): RowFacts {
  const f = FACTS.get(`${type}/${id}`);
  if (!f) throw new Error(`no row ${type}/${id}`);
  return f;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
function call(actor: MatrixActor, method: Method, url: string, body?: unknown, contentType = 'application/fhir+json') {
  const req = request(a.app)[method](url).set('Authorization', `Bearer ${tokens.get(actor.key)}`);
  for (const [k, v] of Object.entries(actor.headers ?? {})) req.set(k, v);
  return body === undefined ? req : req.set('Content-Type', contentType).send(JSON.stringify(body));
}

/** The matrix instance of `type` standing for p1's record (or the directory instance), and p2's (none for directory types). */
function instancesOf(type: string): { p1: string; p2?: string } {
  if (classOf(type) === 'directory') return { p1: rowId(type) };
  if (classOf(type) === 'record') return RECORD_ROWS[type];
  return { p1: rowId(type, 'p1'), p2: rowId(type, 'p2') };
}

/** The reference parameter naming the patient (`patient`, else `subject`), for types tied to a record. */
function patientParam(type: string): string | undefined {
  if (classOf(type) === 'directory' || type === 'Patient') return undefined;
  const params = searchParams(type);
  return ['patient', 'subject'].find((p) => params.has(p));
}

const visibleIn = (actor: MatrixActor, type: string, record: string): string[] =>
  CATALOG.filter((r) => r.type === type && r.compartment === record && sees(actor, r)).map((r) => r.id);
const seesP1 = (actor: MatrixActor): boolean => sees(actor, facts('Patient', 'p1'));

/** Builds the cases of one interaction for one type. */
type CaseBuilder = (actor: MatrixActor, type: string) => Case[];
const forTypes = (builder: CaseBuilder) => (actor: MatrixActor): Case[] => OFFERED_TYPES.flatMap((type) => builder(actor, type));
const supports = (type: string, interaction: string): boolean => supportedInteractions(type).includes(interaction);

// ---------------------------------------------------------------------------------------------------------------
// Reads

const readCase = (interaction: string, type: string, id: string, url: string, withHistory = false): ((actor: MatrixActor) => Case) => (actor) => ({
  type,
  interaction,
  check: async () => {
    const expected = readStatus(actor, facts(type, id));
    const res = await call(actor, 'get', url);
    const problem = statusProblem(res, expected);
    if (problem || expected !== 200) return problem;
    // A history bundle carries no total (optional in R4): its entries are the versions.
    if (withHistory) return bundleProblem(res, [id], undefined, { total: false });
    return res.body?.id === id || type === 'Binary' ? undefined : `answered ${res.body?.resourceType}/${res.body?.id}`;
  },
});

const READS: Record<string, CaseBuilder> = {
  read: (actor, type) => [readCase('read', type, instancesOf(type).p1, `/fhir/${type}/${instancesOf(type).p1}`)(actor)],
  'read-other-record': (actor, type) => {
    const p2 = instancesOf(type).p2;
    return p2 ? [readCase('read-other-record', type, p2, `/fhir/${type}/${p2}`)(actor)] : [];
  },
  // The type's instances governed by p1's restricted documents (masked, MASQUE_PS, invisible to the patient, to guardians).
  'read-restricted-document-parts': (actor, type) => {
    if (!GOVERNED_TYPES.includes(type)) return [];
    return [{
      type,
      interaction: 'read-restricted-document-parts',
      check: async () => {
        const problems = await Promise.all(RESTRICTED_DOCS.map(async (docId) => {
          const id = rowId(type, docId);
          const problem = statusProblem(await call(actor, 'get', `/fhir/${type}/${id}`), readStatus(actor, facts(type, id)));
          return problem && `${id}: ${problem}`;
        }));
        return problems.filter(Boolean).join('; ') || undefined;
      },
    }];
  },
  vread: (actor, type) => [readCase('vread', type, instancesOf(type).p1, `/fhir/${type}/${instancesOf(type).p1}/_history/1`)(actor)],
  'history-instance': (actor, type) =>
    supports(type, 'history-instance') ? [readCase('history-instance', type, instancesOf(type).p1, `/fhir/${type}/${instancesOf(type).p1}/_history`, true)(actor)] : [],
  'search-id': (actor, type) => {
    const ids = Object.values(instancesOf(type)).filter((x): x is string => !!x);
    return [{
      type,
      interaction: 'search-id',
      check: async () => {
        const res = await call(actor, 'get', `/fhir/${type}?_id=${ids.join(',')}&_total=accurate`);
        const status = searchStatus(actor);
        return status !== 200 ? statusProblem(res, status) : bundleProblem(res, ids.filter((id) => sees(actor, facts(type, id))));
      },
    }];
  },
  'search-patient': (actor, type) => {
    const param = patientParam(type);
    if (!param) return [];
    return [{
      type,
      interaction: 'search-patient',
      check: async () => {
        const res = await call(actor, 'get', `/fhir/${type}?${param}=Patient/p1&_count=1000&_total=accurate`);
        const status = searchStatus(actor);
        return status !== 200 ? statusProblem(res, status) : bundleProblem(res, visibleIn(actor, type, 'p1'));
      },
    }];
  },
  // A chain through the Patient: a Patient hidden from the actor matches nothing (hidden is absent, chains too).
  'search-chain': (actor, type) => {
    const param = patientParam(type);
    if (!param) return [];
    return [{
      type,
      interaction: 'search-chain',
      check: async () => {
        const res = await call(actor, 'get', `/fhir/${type}?${param}.identifier=${encodeURIComponent(`${INS_NIR}|${P1_INS}`)}&_count=1000&_total=accurate`);
        const status = searchStatus(actor);
        return status !== 200 ? statusProblem(res, status) : bundleProblem(res, seesP1(actor) ? visibleIn(actor, type, 'p1') : []);
      },
    }];
  },
  // A reverse chain from the Patient, once per row of p1's record (restricted document parts included): the Patient
  // matches only when the actor sees both it and that row (hidden is absent, `_has` too).
  'search-has': (actor, type) => {
    const param = patientParam(type);
    if (!param) return [];
    const rows = CATALOG.filter((r) => r.type === type && r.compartment === 'p1').map((r) => r.id);
    return [{
      type,
      interaction: 'search-has',
      check: async () => {
        const status = searchStatus(actor);
        const problems = await Promise.all(rows.map(async (id) => {
          const res = await call(actor, 'get', `/fhir/Patient?_has:${type}:${param}:_id=${id}&_total=accurate`);
          const problem = status !== 200 ? statusProblem(res, status)
            : bundleProblem(res, seesP1(actor) && visibleIn(actor, type, 'p1').includes(id) ? ['p1'] : []);
          return problem && `${id}: ${problem}`;
        }));
        return problems.filter(Boolean).join('; ') || undefined;
      },
    }];
  },
  'include-patient': (actor, type) => {
    const param = patientParam(type);
    if (!param) return [];
    const id = instancesOf(type).p1;
    return [{
      type,
      interaction: 'include-patient',
      check: async () => {
        const res = await call(actor, 'get', `/fhir/${type}?_id=${id}&_include=${type}:${param}&_total=accurate`);
        const status = searchStatus(actor);
        if (status !== 200) return statusProblem(res, status);
        const matches = sees(actor, facts(type, id)) ? [id] : [];
        return bundleProblem(res, matches, matches.length && seesP1(actor) ? ['p1'] : []);
      },
    }];
  },
  // The Patient with its rows of this type; a directory type with the entries naming Organization/org1.
  revinclude: (actor, type) => {
    const param = patientParam(type) ?? DIRECTORY_ORG_PARAM[type];
    if (!param) return [];
    const directory = classOf(type) === 'directory';
    return [{
      type,
      interaction: 'revinclude',
      check: async () => {
        const url = directory ? `/fhir/Organization?_id=org1&_revinclude=${type}:${param}` : `/fhir/Patient?_id=p1&_revinclude=${type}:${param}`;
        const res = await call(actor, 'get', `${url}&_count=1000&_total=accurate`);
        const status = searchStatus(actor);
        if (status !== 200) return statusProblem(res, status);
        if (directory) return bundleProblem(res, ['org1'], CATALOG.filter((r) => r.type === type && r.matrix && r.compartment === null).map((r) => r.id));
        return seesP1(actor) ? bundleProblem(res, ['p1'], visibleIn(actor, type, 'p1')) : bundleProblem(res, [], []);
      },
    }];
  },
};

for (const [interaction, builder] of Object.entries(READS)) section(`${interaction} of every offered type`, forTypes(builder));

// ---------------------------------------------------------------------------------------------------------------
// Patient/p1/$everything: fetched once per actor (every page), each type's rows checked, and the total.

const everything = new Map<string, Promise<{ status: number; ids: Map<string, string[]>; totals: (number | undefined)[]; problem?: string }>>();
function everythingOf(actor: MatrixActor) {
  let p = everything.get(actor.key);
  if (!p) {
    p = (async () => {
      const ids = new Map<string, string[]>();
      const totals: (number | undefined)[] = [];
      let next: string | undefined = '/fhir/Patient/p1/$everything?_count=200';
      let status = 200;
      for (let pages = 0; next; pages++) {
        if (pages > 20) return { status, ids, totals, problem: 'paging does not end' };
        const res = await call(actor, 'get', next);
        status = res.status;
        if (status !== 200) return { status, ids, totals, problem: statusProblem(res, 200) };
        const body = res.body as BundleBody;
        totals.push(body.total);
        for (const e of body.entry ?? []) ids.set(e.resource.resourceType, [...(ids.get(e.resource.resourceType) ?? []), e.resource.id]);
        const link = body.link?.find((l) => l.relation === 'next')?.url;
        next = link ? link.replace(/^https?:\/\/[^/]+/, '') : undefined;
      }
      return { status, ids, totals };
    })();
    everything.set(actor.key, p);
  }
  return p;
}

function everythingStatus(actor: MatrixActor): ExpectedStatus {
  const status = searchStatus(actor);
  return status !== 200 ? status : seesP1(actor) ? 200 : 404;
}

section('Patient/p1/$everything holds exactly the visible rows of every type', (actor) => [
  ...OFFERED_TYPES.map((type) => ({
    type,
    interaction: 'everything',
    check: async () => {
      const expected = everythingStatus(actor);
      const got = await everythingOf(actor);
      if (!statusOk(got.status, expected)) return `status ${got.status}, expected ${describeStatus(expected)}`;
      if (expected !== 200) return undefined;
      if (got.problem) return got.problem;
      const ids = sorted(got.ids.get(type) ?? []);
      const want = sorted(visibleIn(actor, type, 'p1'));
      return JSON.stringify(ids) === JSON.stringify(want) ? undefined : `[${ids}], expected [${want}]`;
    },
  })),
  {
    type: '(all)',
    interaction: 'everything-total',
    check: async () => {
      const got = await everythingOf(actor);
      if (got.status !== 200 || everythingStatus(actor) !== 200) return undefined; // the per-type cases say it
      const want = CATALOG.filter((r) => r.compartment === 'p1' && sees(actor, r)).length;
      return got.totals.every((t) => t === want) ? undefined : `totals [${got.totals}], expected ${want}`;
    },
  },
]);

// ---------------------------------------------------------------------------------------------------------------
// Writes (after every read: they change the records). Creates put new rows in p1's record; update, patch and
// delete target a row the server's import wrote, one per actor and type, so a wrong success spoils no other case.

/** The new instance each actor tries to create. */
function createBody(actor: MatrixActor, type: string): Resource {
  const kind = classOf(type);
  if (kind === 'directory') return directoryInstance(type);
  if (type === 'Patient') return newPatient(100 + MATRIX_ACTORS.indexOf(actor));
  if (kind === 'record') return { ...recordInstance(type, 'p1'), id: undefined } as Resource;
  // A document on behalf of the treating physician, so that a feeder's submission names an authorised author.
  return clinicalInstance(type, 'p1', { author: RPPS.gp });
}

/** Ids of the instances created in the create step, by `<actor key> <type>`. */
const created = new Map<string, string>();

section('create in p1\'s record (Patient: a new record; directory: a new entry)', (actor) => [
  ...OFFERED_TYPES.map((type) => ({
    type,
    interaction: 'create',
    check: async () => {
      const res = await call(actor, 'post', `/fhir/${type}`, createBody(actor, type));
      const id = res.status === 201 ? new RegExp(`${type}/([^/]+)`).exec(res.headers.location ?? '')?.[1] : undefined;
      if (id) created.set(`${actor.key} ${type}`, id);
      return statusProblem(res, createStatus(actor, type));
    },
  })),
  // A feeding system's own feed: a document (the Assurance Maladie: a care-history one; a feeder: on behalf of the
  // treating physician), then a Binary that is its part.
  ...(actor.who.kind === 'assurance-maladie' || actor.who.kind === 'feeder'
    ? [{
        type: 'DocumentReference',
        interaction: actor.who.kind === 'feeder' ? 'create-document-part' : 'create-care-history',
        check: async () => {
          const body = actor.who.kind === 'feeder' ? clinicalInstance('DocumentReference', 'p1', { author: RPPS.gp }) : careHistoryDocument('p1');
          const doc = await call(actor, 'post', '/fhir/DocumentReference', body);
          const problem = statusProblem(doc, 201);
          if (problem) return problem;
          const docId = /DocumentReference\/([^/]+)/.exec(doc.headers.location ?? '')?.[1];
          const part = { ...clinicalInstance('Binary', 'p1'), securityContext: { reference: `DocumentReference/${docId}` } };
          const binary = statusProblem(await call(actor, 'post', '/fhir/Binary', part), 201);
          return binary && `its Binary: ${binary}`;
        },
      }]
    : []),
]);

function changeCase(interaction: 'update' | 'patch' | 'delete'): CaseBuilder {
  return (actor, type) => {
    const id = writeTarget(targetKey(actor), type);
    const target = facts(type, id);
    return [{
      type,
      interaction,
      check: async () => {
        const url = `/fhir/${type}/${id}`;
        const res =
          interaction === 'update'
            ? await call(actor, 'put', url, { ...RESOURCES.get(`${type}/${id}`), language: CHANGED_LANGUAGE })
            : interaction === 'patch'
              ? await call(actor, 'patch', url, [{ op: 'add', path: '/language', value: CHANGED_LANGUAGE }], 'application/json-patch+json')
              : await call(actor, 'delete', url);
        return statusProblem(res, changeStatus(actor, interaction, target));
      },
    }];
  };
}

for (const interaction of ['update', 'patch', 'delete'] as const) {
  section(`${interaction} of a row the import wrote, for every offered type`, forTypes(changeCase(interaction)));
}

// ---------------------------------------------------------------------------------------------------------------
// Provenance seen from the other side: the patient's own entries (created above) are changed by the patient and his
// guardian only; every writer changes and deletes what he wrote himself.

/** Facts of an instance created in the create step (in p1's record; a document on behalf of the treating physician). */
const createdFacts = (type: string, id: string): RowFacts => ({
  type, id, compartment: 'p1', flags: [], masked: false, authors: type === 'DocumentReference' ? [RPPS.gp] : [], matrix: true,
});

function changeCreated(interaction: 'update' | 'patch' | 'delete', actor: MatrixActor, type: string, id: string): Promise<request.Response> {
  const url = `/fhir/${type}/${id}`;
  if (interaction === 'update') return call(actor, 'put', url, { ...createBody(actor, type), id, language: CHANGED_LANGUAGE });
  if (interaction === 'patch') return call(actor, 'patch', url, [{ op: 'add', path: '/language', value: CHANGED_LANGUAGE }], 'application/json-patch+json');
  return call(actor, 'delete', url);
}

const patientP1 = MATRIX_ACTORS.find((x) => x.key === 'patient') as MatrixActor;
section("update of the patient's own entry, by every actor", (actor) =>
  OFFERED_TYPES.filter((type) => type !== 'Patient' && createStatus(patientP1, type) === 201).map((type) => ({
    type,
    interaction: 'update-patients-entry',
    check: async () => {
      const id = created.get(`patient ${type}`);
      if (!id) return 'the patient could not create it';
      const url = `/fhir/${type}/${id}`;
      const res = await call(actor, 'put', url, { ...createBody(patientP1, type), id, language: CHANGED_LANGUAGE });
      return statusProblem(res, changePatientsEntryStatus(actor, createdFacts(type, id)));
    },
  })),
);

for (const interaction of ['update', 'patch', 'delete'] as const) {
  section(`${interaction} of one's own entry (created above), for every type one may create`, (actor) =>
    OFFERED_TYPES.filter((type) => ownChangeStatus(actor, interaction, type) !== undefined).map((type) => ({
      type,
      interaction: `${interaction}-own`,
      check: async () => {
        const id = created.get(`${actor.key} ${type}`);
        if (!id) return 'its creation failed';
        return statusProblem(await changeCreated(interaction, actor, type, id), ownChangeStatus(actor, interaction, type) as ExpectedStatus);
      },
    })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Types the server does not offer: 404 for every actor, whatever the interaction.

section('types the server does not offer', (actor) =>
  NOT_OFFERED_TYPES.flatMap((type) => [
    { type, interaction: 'not-offered-read', check: async () => statusProblem(await call(actor, 'get', `/fhir/${type}/x1`), 404) },
    { type, interaction: 'not-offered-search', check: async () => statusProblem(await call(actor, 'get', `/fhir/${type}?_id=x1`), 404) },
    { type, interaction: 'not-offered-create', check: async () => statusProblem(await call(actor, 'post', `/fhir/${type}`, { resourceType: type, status: 'draft' }), 404) },
  ]),
);

// ---------------------------------------------------------------------------------------------------------------
// The matrix itself.

describe('the matrix', () => {
  test('covers exactly the offered types (a type added later without a matrix row fails)', () => {
    const covered = [...new Set(planned.map((o) => o.type).filter((t) => t !== '(all)' && !NOT_OFFERED_TYPES.includes(t)))].sort();
    expect(covered).toEqual([...OFFERED_TYPES]);
    for (const type of OFFERED_TYPES) {
      const interactions = new Set(planned.filter((o) => o.type === type).map((o) => o.interaction));
      for (const i of ['read', 'vread', 'search-id', 'everything', 'create', 'update', 'patch', 'delete']) expect([type, interactions.has(i)]).toEqual([type, true]);
    }
  });

  test("restates the fixture's consent state (RECORDS), e.g. nothing refused in advance in p1's record", () => {
    const rppsOf = (ref: { reference?: string; identifier?: { value?: string } } | undefined): string | undefined => {
      if (ref?.identifier?.value) return ref.identifier.value.slice(1); // IdNat_PS = 8 + RPPS
      const practitioner = FIXTURE.find((r) => r.resourceType === 'Practitioner' && `Practitioner/${r.id}` === ref?.reference);
      return practitioner?.resourceType === 'Practitioner' ? practitioner.identifier?.[0]?.value?.slice(1) : undefined;
    };
    const now = new Date().toISOString();
    for (const [patientId, record] of Object.entries(RECORDS)) {
      const patient = FIXTURE.find((r) => r.resourceType === 'Patient' && r.id === patientId);
      const rules = FIXTURE.flatMap((r) => (r.resourceType === 'Consent' && r.status === 'active' && r.patient?.reference === `Patient/${patientId}` ? [r.provision ?? {}] : []))
        .filter((p) => !p.period?.end || p.period.end >= now);
      const actors = (type: string) => rules.filter((p) => p.type === type).flatMap((p) => (p.actor ?? []).map((x) => rppsOf(x.reference) as string)).sort();
      const derived = {
        opened: rules.some((p) => p.type === 'permit' && !p.actor && !p.data && !p.purpose),
        closed: patient?.resourceType === 'Patient' && patient.active === false,
        treating: (patient?.resourceType === 'Patient' ? patient.generalPractitioner ?? [] : []).map((g) => rppsOf(g) as string).sort(),
        permitted: actors('permit'),
        denied: actors('deny'),
        refused: rules.filter((p) => p.type === 'deny').flatMap((p) => (p.purpose ?? []).map((c) => c.code as string)).sort(),
      };
      const stated = { ...record, treating: [...record.treating].sort(), permitted: [...record.permitted].sort(), denied: [...record.denied].sort(), refused: [...record.refused].sort() };
      expect([patientId, derived]).toEqual([patientId, stated]);
    }
  });

  test('every instance it writes, and every body it creates, passes the server validation (FHIR schema and profiles)', () => {
    const problems: string[] = [];
    const bodies = [...MATRIX_ROWS.map((m) => m.resource), ...MATRIX_ACTORS.flatMap((x) => OFFERED_TYPES.map((t) => createBody(x, t))), careHistoryDocument('p1')];
    for (const r of bodies) {
      try {
        a.service.validate(r);
      } catch (err) {
        problems.push(`${r.resourceType}/${r.id ?? '(new)'}: ${JSON.stringify((err as { outcome?: unknown }).outcome ?? (err as Error).message).slice(0, 300)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every KNOWN_GAPS entry names cases that still fail (remove the entry once its fix lands)', () => {
    const stale: string[] = [];
    const report: string[] = [];
    KNOWN_GAPS.forEach((gap: KnownGap, i) => {
      if (!planned.some((o) => gapsOf(o.actor, o.interaction, o.type).includes(gap))) stale.push(`#${i} (${gap.fix}) matches no case`);
      // Only the cases that ran (all of them unless a -t filter chose some).
      const matched = outcomes.filter((o) => gapsOf(o.actor, o.interaction, o.type).includes(gap));
      const passing = matched.filter((o) => !o.problem);
      if (passing.length) stale.push(`#${i} (${gap.fix}) now passes for ${passing.map((o) => `${o.actor} ${o.interaction} ${o.type}`).join(', ')}`);
      report.push(`#${i} ${matched.length - passing.length} failing case(s): ${gap.fix}`);
    });
    if (report.length) console.warn(`Access matrix: known gaps (issue 11)\n${report.join('\n')}`);
    expect(stale).toEqual([]);
  });

  test('prints its size', () => {
    const perActor = MATRIX_ACTORS.map((x) => {
      const mine = outcomes.filter((o) => o.actor === x.key);
      const gaps = mine.filter((o) => o.problem).length;
      return `${x.key} ${mine.length}${gaps ? ` (${gaps} known gaps)` : ''}`;
    });
    console.log(`Access matrix: ${outcomes.length} of ${planned.length} cases run — ${perActor.join(', ')}`);
    expect(planned.length).toBeGreaterThan(MATRIX_ACTORS.length * OFFERED_TYPES.length * 10);
  });
});
