import { type AuditEventInput } from '../../../src/audit/audit-event-builder';
import { type AppendListener, type AuditTransaction, AuditWriter, type StoredAuditEvent } from '../../../src/audit/audit-writer';
import { SystemRepository } from '../../../src/system/system-repository';
import { GENESIS_HASH } from '../../../src/audit/audit-codes';
import { hashText, withoutChainLink } from '../../../src/audit/hash-chain';
import { readStoredEvent, renderAuditEvent } from '../../../src/audit/stored-event';
import { toStored } from '../../../src/store/repository';
import { executeSearch } from '../../../src/store/search-executor';
import { TRUE } from '../../../src/store/sql';
import { parseSearch } from '../../../src/fhir/search/parse';
import { loadDefinitions } from '../../../src/fhir/search-registry';
import type { RequestContext } from '../../../src/fhir/context';
import type { AuditEvent } from '@medplum/fhirtypes';
import { verifyChain } from '../../../src/audit/verify-chain';
import type { PgliteDb } from '../../../src/store/pglite-db';
import { openTestDb } from './test-db';
import { RequestState } from '../../../src/fhir/request-state';

const source = { id: 'dmp-fhir-test', display: 'DMP FHIR test server' };

function readInput(patientId: string | null, n: number): AuditEventInput {
  return {
    recorded: new Date(Date.UTC(2026, 0, 1, 10, 0, n)),
    category: 'rest',
    interaction: 'read',
    action: 'R',
    outcome: '0',
    source,
    patientId,
    resources: [`DocumentReference/doc-${n}/_history/1`],
    agent: { kind: 'practitioner', reference: 'Practitioner/p1', display: 'Dr Marie Curie', identifiers: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810000000001' }] },
    purpose: { code: 'TREAT' },
  };
}

describe('audit writer and chain verification', () => {
  let db: PgliteDb;
  const writer = new AuditWriter();

  beforeEach(async () => {
    db = await openTestDb();
  });
  afterEach(async () => {
    await db.close();
  });

  async function writeSome(): Promise<void> {
    await db.transaction((tx) => writer.appendInTx(tx, [readInput('pat-a', 1), readInput('pat-b', 2), readInput('pat-a', 3)]));
    await db.transaction((tx) => writer.appendInTx(tx, [readInput('pat-a', 4), readInput(null, 5)]));
  }

  it('links each event of a patient to the hash of the one before it', async () => {
    await writeSome();
    const rows = await db.query<{ id: string; text: string }>(`SELECT r.id, r.text FROM audit_chain c JOIN resource r ON r.type = 'AuditEvent' AND r.id = c.event_id WHERE c.chain = 'pat-a' ORDER BY c.seq`);
    const chainRows = await db.query<{ hash: string; seq: number }>(`SELECT hash, seq FROM audit_chain WHERE chain = 'pat-a' ORDER BY seq`);
    const links = rows.rows.map((r) => readStoredEvent(r.id, r.text).link);
    expect(links.map((l) => l?.sequence)).toEqual([1, 2, 3]);
    expect(links[1]?.previous).toBe(chainRows.rows[0].hash);
    expect(links[2]?.previous).toBe(chainRows.rows[1].hash);
  });

  it('writes no history row (an AuditEvent never changes), the chain verifying', async () => {
    await writeSome();
    const history = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource_history WHERE type = 'AuditEvent'`);
    expect(history.rows[0].n).toBe(0);
    const stored = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE type = 'AuditEvent'`);
    expect(stored.rows[0].n).toBe(5);
    expect(await verifyChain(db)).toMatchObject({ intact: true, events: 5 });
  });

  it('stores what an event records, and serves it as the BALP AuditEvent', async () => {
    const [event] = await new AuditWriter().append(new SystemRepository(db), [readInput('pat-a', 1)]);
    const { rows } = await db.query<Parameters<typeof toStored>[0]>(`SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource WHERE id = $1`, [event.id]);
    const served = toStored(rows[0]).text as string;
    // Served without its chain link (its numbering would show a reader the events hidden from him; $verify checks it).
    expect(JSON.parse(served)).toEqual(JSON.parse(JSON.stringify(withoutChainLink(renderAuditEvent(event.id, readInput('pat-a', 1), { previous: GENESIS_HASH, sequence: 1 })))));
    expect(served).not.toContain('audit-hash-chain');
    expect(JSON.parse(served)).toMatchObject({ resourceType: 'AuditEvent', id: event.id, action: 'R', agent: expect.arrayContaining([expect.objectContaining({ name: 'Dr Marie Curie' })]) });
    expect(rows[0].text?.length).toBeLessThan(served.length / 2);
  });

  it('verifies and serves an event stored as full JSON (before the compact form) as it is, less its chain link', async () => {
    const text = JSON.stringify(renderAuditEvent('legacy-1', readInput('pat-l', 1), { previous: GENESIS_HASH, sequence: 1 }));
    const hash = hashText(text);
    await db.query(`INSERT INTO resource (type, id, version_id, last_updated, compartment, text) VALUES ('AuditEvent', 'legacy-1', 1, now(), 'pat-l', $1)`, [text]);
    await db.query(`INSERT INTO audit_chain (chain, seq, event_id, recorded, prev_hash, hash) VALUES ('pat-l', 1, 'legacy-1', now(), $1, $2)`, [GENESIS_HASH, hash]);
    await db.query(`INSERT INTO audit_chain_head (chain, seq, hash) VALUES ('pat-l', 1, $1)`, [hash]);
    expect(await verifyChain(db, { chain: 'pat-l' })).toMatchObject({ intact: true, events: 1 });
    const { rows } = await db.query<Parameters<typeof toStored>[0]>(`SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource WHERE id = 'legacy-1'`);
    expect(toStored(rows[0]).text).toBe(JSON.stringify(withoutChainLink(JSON.parse(text) as AuditEvent)));
    expect(toStored(rows[0]).text).not.toContain('audit-hash-chain');
  });

  it('appends on its own from the heads it remembers, and rebuilds a batch whose head another writer moved', async () => {
    const mine = new AuditWriter();
    const other = new AuditWriter();
    await mine.append(new SystemRepository(db), [readInput('pat-a', 1), readInput('pat-b', 2)]);
    await other.append(new SystemRepository(db), [readInput('pat-a', 3)]); // moves pat-a's head behind `mine`'s back
    await mine.append(new SystemRepository(db), [readInput('pat-a', 4), readInput('pat-b', 5)]); // its pat-a head is stale: rebuilt
    const seqs = await db.query<{ chain: string; seq: number }>(`SELECT chain, seq::int AS seq FROM audit_chain ORDER BY chain, seq`);
    expect(seqs.rows).toEqual([
      { chain: 'pat-a', seq: 1 },
      { chain: 'pat-a', seq: 2 },
      { chain: 'pat-a', seq: 3 },
      { chain: 'pat-b', seq: 1 },
      { chain: 'pat-b', seq: 2 },
    ]);
    expect(await verifyChain(db)).toMatchObject({ intact: true, events: 5 });
  });

  it('stores a batch in a transaction with its listener when the listener has work for it', async () => {
    const seen: string[][] = [];
    const listener: AppendListener = Object.assign(
      async (tx: AuditTransaction, events: StoredAuditEvent[]) => {
        seen.push(events.map((e) => e.id));
        await tx.query(`SELECT 1`);
      },
      { idleFor: (inputs: AuditEventInput[]) => inputs.every((i) => i.patientId !== 'pat-notify') },
    );
    const w = new AuditWriter({ onAppend: listener });
    await w.append(new SystemRepository(db), [readInput('pat-a', 1)]);
    expect(seen).toHaveLength(0);
    await w.append(new SystemRepository(db), [readInput('pat-notify', 2)]);
    expect(seen).toHaveLength(1);
    expect(await verifyChain(db)).toMatchObject({ intact: true, events: 2 });
  });

  it('stores AuditEvents as resources in the patient compartment, searchable by patient, date, agent and purpose', async () => {
    await writeSome();
    loadDefinitions();
    const search = async (params: [string, string][]) => {
      const ctx: RequestContext = { requestId: 'test', access: TRUE, state: new RequestState() };
      const result = await executeSearch(db, ctx, parseSearch('AuditEvent', params, true));
      return result.matches.map((m) => (JSON.parse(m.text as string) as AuditEvent).recorded);
    };
    const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, n)).toISOString();
    expect(await search([['patient', 'pat-a']])).toEqual([at(1), at(3), at(4)]);
    expect(await search([['patient', 'Patient/pat-b']])).toEqual([at(2)]);
    expect(await search([['patient', 'Practitioner/pat-a']])).toEqual([]);
    expect(await search([['patient:missing', 'true']])).toEqual([at(5)]);
    expect(await search([['patient:Patient', 'pat-a'], ['_sort', '-date']])).toEqual([at(4), at(3), at(1)]);
    expect(await search([['date', 'ge2026-01-01T10:00:03Z'], ['_sort', '-date']])).toEqual([at(5), at(4), at(3)]);
    expect(await search([['agent', 'Practitioner/p1'], ['purpose', 'TREAT'], ['date', 'lt2026-01-01T10:00:03Z']])).toEqual([at(1), at(2)]);
    // patient and date come from the row's columns: no index rows are written for them.
    const rows = await db.query<{ n: number }>(`SELECT (SELECT count(*) FROM idx_reference WHERE type = 'AuditEvent' AND param = 'patient')
      + (SELECT count(*) FROM idx_date WHERE type = 'AuditEvent') AS n`);
    expect(Number(rows.rows[0].n)).toBe(0);
    // agent, action and purpose are kept in the event's own row (migration 153): none in the index tables either.
    const tables = await db.query<{ n: number }>(`SELECT (SELECT count(*) FROM idx_token WHERE type = 'AuditEvent')
      + (SELECT count(*) FROM idx_reference WHERE type = 'AuditEvent') AS n`);
    expect(Number(tables.rows[0].n)).toBe(0);
    const all = [at(1), at(2), at(3), at(4), at(5)];
    expect(await search([['agent', 'Practitioner/p1'], ['action', 'R']])).toEqual(all);
    expect(await search([['agent:Practitioner', 'p1'], ['action', 'http://hl7.org/fhir/audit-event-action|R'], ['_sort', '-date']])).toEqual([...all].reverse());
    expect(await search([['agent', 'Practitioner/p2']])).toEqual([]);
    expect(await search([['action', 'C']])).toEqual([]);
    expect(await search([['purpose:missing', 'false'], ['patient', 'pat-b']])).toEqual([at(2)]);
    expect(await search([['purpose:not', 'TREAT']])).toEqual([]);
  });

  it('lists in each trail event the documents it names, and only those, in both ways of storing', async () => {
    // A Binary governed by doc-9, and a resource no document governs.
    await db.query(`INSERT INTO resource (type, id, version_id, last_updated, compartment, doc_id, text) VALUES
      ('Binary', 'bin-9', 1, now(), 'pat-a', 'doc-9', '{}'), ('Observation', 'obs-1', 1, now(), 'pat-a', NULL, '{}')`);
    const named = (n: number, resources: string[], patientId: string | null = 'pat-a'): AuditEventInput => ({ ...readInput(patientId, n), resources });
    const inputs = [
      named(1, ['DocumentReference/doc-1/_history/2', 'DocumentReference/doc-2', 'DocumentReference/doc-1']),
      named(2, ['Binary/bin-9/_history/1', 'DocumentReference/doc-3', 'Observation/obs-1', 'Binary/missing']),
      named(3, ['Patient/pat-a/_history/1', 'Consent/c1']),
      named(4, ['DocumentReference/doc-4'], null),
    ];
    const pooled = await writer.append(new SystemRepository(db), inputs);
    const inTx = await db.transaction((tx) => writer.appendInTx(tx, inputs));
    const documentsOf = async (events: StoredAuditEvent[]) => {
      const { rows } = await db.query<{ id: string; docs: string[] | null }>(`SELECT id, named_documents AS docs FROM resource WHERE type = 'AuditEvent'`);
      return events.map((e) => [...(rows.find((r) => r.id === e.id)?.docs ?? [])].sort());
    };
    // '' (UNGOVERNED_MARK): the second also names what no document governs (obs-1, a missing Binary); the third names
    // only such resources, which is no document at all (null).
    const expected = [['doc-1', 'doc-2'], ['', 'doc-3', 'doc-9'], [], []];
    expect(await documentsOf(pooled)).toEqual(expected);
    expect(await documentsOf(inTx)).toEqual(expected);
  });

  it('reports an intact chain when nothing was touched', async () => {
    await writeSome();
    const result = await verifyChain(db);
    expect(result).toEqual({ intact: true, events: 5, chains: 3, broken: undefined });
  });

  it('refuses a direct UPDATE or DELETE of an audit row', async () => {
    await writeSome();
    await expect(db.query(`UPDATE resource SET text = '{}' WHERE type = 'AuditEvent'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM resource WHERE type = 'AuditEvent'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE audit_chain SET hash = 'x'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_chain`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE audit_chain`)).rejects.toThrow(/append-only/);
    expect((await verifyChain(db)).intact).toBe(true);
  });

  it('detects an event edited in SQL after the trigger was disabled', async () => {
    await writeSome();
    const second = await db.query<{ event_id: string }>(`SELECT event_id FROM audit_chain WHERE chain = 'pat-a' AND seq = 2`);
    const id = second.rows[0].event_id;
    await db.query(`ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only`);
    await db.query(`UPDATE resource SET text = replace(text, 'Dr Marie Curie', 'Dr Nobody') WHERE type = 'AuditEvent' AND id = $1`, [id]);
    const result = await verifyChain(db);
    expect(result.intact).toBe(false);
    expect(result.broken).toMatchObject({ chain: 'pat-a', seq: 2, eventId: id, reason: 'hash-mismatch' });
  });

  it('detects a JSONB copy that differs from the hashed text', async () => {
    await writeSome();
    await db.query(`ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only`);
    await db.query(`UPDATE resource SET content = jsonb_set(text::jsonb, '{outcome}', '"8"') WHERE type = 'AuditEvent' AND compartment = 'pat-b'`);
    expect((await verifyChain(db)).broken).toMatchObject({ chain: 'pat-b', seq: 1, reason: 'content-mismatch' });
  });

  it('detects a deleted event in the middle and a cut tail', async () => {
    await writeSome();
    await db.query(`ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_append_only`);
    await db.query(`DELETE FROM audit_chain WHERE chain = 'pat-a' AND seq = 3`);
    expect((await verifyChain(db)).broken).toMatchObject({ chain: 'pat-a', reason: 'head-mismatch' });
    await db.query(`DELETE FROM audit_chain WHERE chain = 'pat-a' AND seq = 1`);
    expect((await verifyChain(db)).broken).toMatchObject({ chain: 'pat-a', seq: 2, reason: 'sequence-gap' });
  });

  it('detects an AuditEvent slipped in outside the chain', async () => {
    await writeSome();
    await db.query(`INSERT INTO resource (type, id, version_id, last_updated, compartment, content, text) VALUES ('AuditEvent', 'forged', 1, now(), 'pat-a', '{}', '{}')`);
    expect((await verifyChain(db)).broken).toMatchObject({ eventId: 'forged', reason: 'unchained-event' });
  });

  it('verifies one patient chain on its own', async () => {
    await writeSome();
    expect(await verifyChain(db, { chain: 'pat-b' })).toMatchObject({ intact: true, events: 1, chains: 1 });
  });

  it('uses an HMAC when given a secret, so a verifier without the key sees every hash as broken', async () => {
    const keyed = new AuditWriter({ secret: 'k1' });
    await db.transaction((tx) => keyed.appendInTx(tx, [readInput('pat-a', 1)]));
    expect((await verifyChain(db, { secret: 'k1' })).intact).toBe(true);
    expect((await verifyChain(db)).broken?.reason).toBe('hash-mismatch');
  });
});
