import os from 'node:os';
import path from 'node:path';
import type { Consent, Patient } from '@medplum/fhirtypes';
import { insKeys, treatingPhysicianKeys } from '../../src/access/access-tables';
import { consentPatientId, parseConsent } from '../../src/access/consent-rules';
import { accessWiring } from '../../src/access/wiring';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { loadDevKey } from '../../src/auth/dev-key';
import { mintDevToken } from '../../src/auth/mint-token';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { Db } from '../../src/store/db';
import { PgDb } from '../../src/store/pg-db';
import { sql } from '../../src/store/sql';
import type { Dataset } from '../dataset';
import { digits, patientId, practitionerId } from '../ids';
import type { BenchServer, BenchVariant } from './variant';
import { wiredServer } from './wired-server';

/** Parent (tokens) and child (verifier) must share the development key: a fixed directory outside the repo. */
export const ACCESS_BENCH_DATA_DIR = path.join(os.tmpdir(), 'dmp-fhir-bench-access');
/**
 * Development mode (DEV_AUTH=1): the development issuer is trusted, as in a development deployment. A run at 1M lasts
 * hours, so its tokens live a day (TOKEN_TTL_SECONDS): the development key's cap is raised to that, in the minting
 * parent and in the verifying child alike.
 */
export const AUTH_ENV: NodeJS.ProcessEnv = { DEV_AUTH: '1', DEV_TOKEN_MAX_LIFETIME: '86400' };
const TOKEN_TTL_SECONDS = 24 * 3600;
const PREPARE_BATCH = 5000;

/** The specialist patient n authorised: the practitioner after his treating physician (never the same one). */
export function specialistOf(n: number, practitioners: number): number {
  return (n + 1) % practitioners;
}

/** The seeded RPPS-form identifier of practitioner n (as `Dataset.practitioner` writes it). */
export function practitionerRpps(n: number): string {
  return `8${digits(n, 10)}`;
}

function configOf(databaseUrl: string): Config {
  return loadConfig({}, { databaseUrl, dataDir: ACCESS_BENCH_DATA_DIR });
}

/** The opening Consent and the specialist's authorisation of patient n, as the patient would record them. */
export function benchConsents(n: number, practitioners: number): Consent[] {
  const common = {
    resourceType: 'Consent' as const,
    status: 'active' as const,
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId(n)}` },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
  };
  const specialist = specialistOf(n, practitioners);
  return [
    { ...common, id: `bench-open-${patientId(n)}`, provision: { type: 'permit' } },
    {
      ...common,
      id: `bench-permit-${patientId(n)}`,
      provision: {
        type: 'permit',
        actor: [{
          role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
          reference: { reference: `Practitioner/${practitionerId(specialist)}` },
        }],
      },
    },
  ];
}

/** Writes `access_consent` rows of the bench Consents of patients [from, to), as the access afterWrite would. */
async function insertConsentRules(db: Db, from: number, to: number, practitioners: number): Promise<void> {
  const rows: Record<string, string | null>[] = [];
  for (let n = from; n < to; n++) {
    for (const consent of benchConsents(n, practitioners)) {
      const patient = consentPatientId(consent) as string;
      for (const rule of parseConsent(consent).rules) {
        rows.push({ consent_id: consent.id as string, patient_id: patient, kind: rule.kind, actor_key: 'actorKey' in rule ? (rule.actorKey ?? null) : null });
      }
    }
  }
  await db.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind, actor_key)
    SELECT x.consent_id, x.patient_id, x.kind, x.actor_key FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS x(consent_id text, patient_id text, kind text, actor_key text)`);
}

/** Writes `access_record` rows from the stored Patients (keyset pages by id), as the access afterWrite would. */
async function insertRecords(db: Db): Promise<void> {
  let after = '';
  for (;;) {
    const { rows } = await db.query<{ id: string; content: Patient }>(sql`SELECT r.id, r.content FROM resource r
      WHERE r.type = 'Patient' AND NOT r.deleted AND r.id > ${after} ORDER BY r.id LIMIT ${PREPARE_BATCH}`);
    if (rows.length === 0) return;
    const records = rows.map((row) => ({ patient_id: row.id, ins: insKeys(row.content), treating: treatingPhysicianKeys(row.content) }));
    await db.query(sql`INSERT INTO access_record (patient_id, closed, ins, treating)
      SELECT x.patient_id, false, ARRAY(SELECT jsonb_array_elements_text(x.ins)), ARRAY(SELECT jsonb_array_elements_text(x.treating))
      FROM jsonb_to_recordset(${JSON.stringify(records)}::jsonb) AS x(patient_id text, ins jsonb, treating jsonb)
      ON CONFLICT (patient_id) DO UPDATE SET closed = EXCLUDED.closed, ins = EXCLUDED.ins, treating = EXCLUDED.treating`);
    after = rows[rows.length - 1].id;
  }
}

/**
 * Opens every seeded record and authorises one specialist per patient: the derived tables of migration 020
 * filled exactly as `applyAccessWrite` fills them for the Patients and the two Consents (rules parsed by
 * `parseConsent`). The Consent resources themselves are not stored: reads and searches only consult the tables.
 */
export async function prepareAccess(db: Db, dataset: Dataset): Promise<void> {
  await db.query(`DELETE FROM access_consent WHERE consent_id LIKE 'bench-%'`);
  await insertRecords(db);
  for (let from = 0; from < dataset.size.patients; from += PREPARE_BATCH) {
    await insertConsentRules(db, from, Math.min(dataset.size.patients, from + PREPARE_BATCH), dataset.practitioners);
  }
  await db.query('ANALYZE access_consent');
  await db.query('ANALYZE access_record');
}

/** The app as production wires access control (token verification, access hooks, $everything, auth routes). */
export async function buildAccessServer(db: Db, config: Config): Promise<BenchServer> {
  const logger = createLogger('error');
  return wiredServer(db, config, logger, await accessWiring({ config, db, logger, env: AUTH_ENV }));
}

/** Development tokens of every practitioner (the parent signs with the key the child's verifier trusts). */
export async function practitionerTokens(config: Config, practitioners: number): Promise<string[]> {
  const auth = loadAuthConfig(AUTH_ENV, config.dataDir);
  const key = await loadDevKey(auth);
  const tokens: string[] = [];
  for (let k = 0; k < practitioners; k++) tokens.push(await mintDevToken(auth, key, { kind: 'practitioner', id: practitionerRpps(k), ttl: TOKEN_TTL_SECONDS }));
  return tokens;
}

/**
 * `core` plus access control as production wires it: each request carries a development bearer token of the
 * specialist the patient authorised (verified, resolved to his Practitioner entry, compiled into the SQL of
 * the read and the search). Masked documents (MASQUE_PS) are hidden from him, so search answers differ from
 * the baseline's for some patients. Compare with `core` in the same run: target access / core ≥ 0.8.
 */
export const accessVariant: BenchVariant = {
  name: 'access',
  description: 'core + access control (dev bearer token of an authorised specialist, consent predicate in SQL), PgDb',
  answers: { subset: 'masked documents (MASQUE_PS) are hidden from the authorised specialist' },
  async build(databaseUrl) {
    const config = configOf(databaseUrl);
    return buildAccessServer(new PgDb(databaseUrl, config.dbPoolSize), config);
  },
  async prepare(databaseUrl, dataset) {
    const db = new PgDb(databaseUrl, 2);
    try {
      await prepareAccess(db, dataset);
    } finally {
      await db.close();
    }
  },
  async requestHeaders(databaseUrl, dataset) {
    const tokens = await practitionerTokens(configOf(databaseUrl), dataset.practitioners);
    const byPatient = new Map<string, string>();
    for (let n = 0; n < dataset.size.patients; n++) byPatient.set(patientId(n), `Bearer ${tokens[specialistOf(n, dataset.practitioners)]}`);
    return (patient) => ({ authorization: byPatient.get(patient) ?? '' });
  },
};
