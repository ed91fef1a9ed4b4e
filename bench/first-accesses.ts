import type { Db } from '../src/store/db';
import { sql } from '../src/store/sql';
import { SYSTEM } from '../src/audit/audit-codes';
import type { Dataset } from './dataset';
import { patientId } from './ids';
import { practitionerRpps } from './variants/access';

const CHUNK = 10_000;

/**
 * Records that each patient's treating physician (the production variant's caller) has read the record before:
 * `notify_first_access`, as the audit notifier writes it on a professional's first read. Without it, a read of the
 * 1M set (100,000 patients, requests spread over all of them) is almost always a professional's first read of that
 * record — a "first access" notice, its recipients looked up and queued, in the audit transaction — while on the 10k
 * set the warm-up has read every record and the measure sees the steady state. Seeded, both sets measure the steady
 * state; `BENCH_FIRST_ACCESS=1` leaves the table empty to measure first reads (bench/README.md).
 */
export async function seedTreatingFirstAccesses(db: Db, dataset: Dataset): Promise<void> {
  if (process.env.BENCH_FIRST_ACCESS === '1') return;
  for (let from = 0; from < dataset.size.patients; from += CHUNK) {
    const n = Array.from({ length: Math.min(CHUNK, dataset.size.patients - from) }, (_, i) => from + i);
    await db.query(sql`INSERT INTO notify_first_access (patient_id, professional, first_at)
      SELECT u.p, u.k, now() FROM unnest(${n.map(patientId)}::text[], ${n.map((k) => `${SYSTEM.idNatPs}|8${practitionerRpps(k % dataset.practitioners)}`)}::text[]) AS u(p, k)
      ON CONFLICT DO NOTHING`);
  }
}
