import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Consent } from '@medplum/fhirtypes';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import type { Db } from '../../../src/store/db';
import { sql } from '../../../src/store/sql';
import { createTestDb, type TestDb } from '../../support/test-db';
import { loadFixture, systemContext } from './fixture';

// Shared by the tests that replay an upgrade of the « choix sans effet » notice (migrations 219, 223, 225): Consents
// stored as an older server stored them, the migrations that list them un-applied, then the server restarted so that
// its start-up task reads the list and queues the notices.

/** The patient web space every notice links to, in these tests. */
export const RECORD_URL = 'https://mon-espace.example/portail';

/** A queued `consents-without-effect` notice, as the outbox holds it. */
export interface ReviewNotice { patient_id: string; channel: string; recipient: string | null; subject: string; body: string; status: string; idempotency_key: string }

/** A server on a throw-away database and data folder, restarted across the replayed upgrade. */
export class ConsentUpgradeReplay {
  testDb!: TestDb;
  dataDir!: string;
  server!: RunningServer;

  constructor(private readonly dirPrefix: string, private readonly stored: Consent[]) {}

  get db(): Db {
    return this.testDb.db;
  }

  /** Starts, stores the fixture and the Consents, stops, runs `unapply` (the database as the older version left it), restarts. */
  async run(unapply: (db: Db) => Promise<void>): Promise<void> {
    this.dataDir = mkdtempSync(path.join(tmpdir(), this.dirPrefix));
    this.testDb = await createTestDb();
    this.server = await this.start();
    await this.drained();
    await loadFixture(this.server.service);
    for (const c of this.stored) await this.server.service.repo.update(systemContext(), c);
    await this.server.close();
    await unapply(this.db);
    await this.restart();
  }

  /** Stops and starts the server again, and waits for its start-up task to drain the list. */
  async restart(): Promise<void> {
    await this.server.close();
    this.server = await this.start();
    await this.drained();
  }

  async unapplyMigration(name: string): Promise<void> {
    await this.db.query(sql`DELETE FROM schema_migration WHERE name = ${name}`);
  }

  /** The `consents-without-effect` notices in the outbox, by patient then channel. */
  async notices(): Promise<ReviewNotice[]> {
    return (await this.db.query<ReviewNotice>(sql`SELECT patient_id, channel, recipient, subject, body, status, idempotency_key FROM notify_outbox
      WHERE kind = 'consents-without-effect' ORDER BY patient_id, channel`)).rows;
  }

  async close(): Promise<void> {
    await this.server?.close();
    await this.testDb?.drop();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private start(): Promise<RunningServer> {
    return startServer(loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: this.dataDir }), {
      db: this.testDb.db,
      env: { DEV_AUTH: '1', NOTIFY_RECORD_URL: RECORD_URL },
    });
  }

  /** Waits (up to 10 s) until the start-up task has emptied `consent_review_pending`. */
  private async drained(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await this.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM consent_review_pending`);
      if (rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('consent_review_pending was not drained');
  }
}
