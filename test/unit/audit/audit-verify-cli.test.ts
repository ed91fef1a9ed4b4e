import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditWriter } from '../../../src/audit/audit-writer';
import { main, parseArgs } from '../../../src/cli/audit-verify';
import { PgliteDb } from '../../../src/store/pglite-db';

const MIGRATIONS = path.join(__dirname, '../../../src/store/migrations');

describe('audit-verify command', () => {
  let dir: string;
  let output: string[];
  let write: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'audit-verify-'));
    output = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
  });
  afterEach(() => {
    write.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the chain patient given on the command line', () => {
    expect(parseArgs(['--patient', 'pat-a'])).toEqual({ chain: 'pat-a' });
    expect(parseArgs([])).toEqual({});
  });

  it('exits 0 on an intact chain and 1 with the broken link after a tampering', async () => {
    const db = await PgliteDb.open(dir);
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()) await db.query(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
    const source = { id: 's', display: 'server' };
    const input = (n: number) => ({ recorded: new Date(Date.UTC(2026, 0, 1, 0, 0, n)), category: 'rest' as const, interaction: 'read', action: 'R' as const, outcome: '0' as const, source, patientId: 'pat-a' });
    await db.transaction((tx) => new AuditWriter().appendInTx(tx, [input(1), input(2)]));
    await db.close();

    expect(await main([], { DATA_DIR: dir })).toBe(0);
    expect(JSON.parse(output.join(''))).toMatchObject({ intact: true, events: 2 });

    const again = await PgliteDb.open(dir);
    await again.query(`ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only`);
    await again.query(`UPDATE resource SET text = replace(text, '"R"', '"D"') WHERE type = 'AuditEvent' AND id = (SELECT event_id FROM audit_chain WHERE seq = 1)`);
    await again.close();
    output = [];
    expect(await main(['--patient', 'pat-a'], { DATA_DIR: dir })).toBe(1);
    expect(JSON.parse(output.join(''))).toMatchObject({ intact: false, broken: { chain: 'pat-a', seq: 1, reason: 'hash-mismatch' } });
    // Every migration on an embedded PGlite, then the command: minutes on a loaded shared machine, not 60 s.
  }, 240_000);
});
