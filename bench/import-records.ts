import { patientConsent } from '../src/access/consent-rules';
import { loadAuthConfig } from '../src/auth/auth-config';
import { loadDevKey } from '../src/auth/dev-key';
import { mintDevToken, type MintOptions } from '../src/auth/mint-token';
import { corpusPatient, toRecord } from './import-corpus';
import { ACCESS_BENCH_DATA_DIR, AUTH_ENV } from './variants/access';

/** The IdNat_PS of the generated lab reports' author (fixtures/cda/lab-report-two-results.xml, kept by the generator). */
export const LAB_AUTHOR_IDNAT = '801234534765';
const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';
const TOKEN_TTL_SECONDS = 24 * 3600;

/** How `bench:import` opens the corpus's records and which headers its imports carry. */
export interface ImportCaller {
  /** Headers of every `$import` request. */
  headers: Record<string, string>;
  /** Opens the corpus's records (patients 0 … patients-1) so that every document is filed (201). */
  openRecords(fhirUrl: string, patients: number): Promise<void>;
}

async function post(url: string, body: unknown, token?: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/fhir+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${url}: HTTP ${res.status} ${await res.text()}`);
  // A caller that reads nothing (the Assurance Maladie) gets the id from Location only.
  return /\/([^/]+)\/_history\//.exec(res.headers.get('location') ?? '')?.[1] ?? /\/([^/]+)$/.exec(res.headers.get('location') ?? '')?.[1] ?? '';
}

/** The `documents` variant: open access, the records created by an anonymous caller, imports without a token. */
export const openImportCaller: ImportCaller = {
  headers: {},
  async openRecords(fhirUrl, patients) {
    for (let n = 0; n < patients; n++) await post(`${fhirUrl}/Patient`, toRecord(corpusPatient(n)));
  },
};


/**
 * The `production` variant, as records and documents arrive in production: the lab (a feeder's system token) adds
 * its biologist to the directory; the Assurance Maladie opens each record at its counters (the Patient with its INS,
 * then the opening Consent); each patient authorises the biologist (a feeder files documents only on behalf of an
 * author the patient authorised, `feeder-author.ts`); then the lab's system token posts every `$import`.
 */
export async function productionImportCaller(): Promise<ImportCaller> {
  // The same development key as the server child (`variants/production.ts` verifies with ACCESS_BENCH_DATA_DIR's).
  const auth = loadAuthConfig(AUTH_ENV, ACCESS_BENCH_DATA_DIR);
  const key = await loadDevKey(auth);
  const token = (o: MintOptions) => mintDevToken(auth, key, { ttl: TOKEN_TTL_SECONDS, ...o });
  const lab = await token({ kind: 'system', id: 'bench-lab' });
  const insurer = await token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  return {
    headers: { authorization: `Bearer ${lab}` },
    async openRecords(fhirUrl, patients) {
      const biologist = await post(`${fhirUrl}/Practitioner`, { resourceType: 'Practitioner', identifier: [{ system: IDNAT_PS, value: LAB_AUTHOR_IDNAT }] }, lab);
      for (let n = 0; n < patients; n++) {
        const patientId = await post(`${fhirUrl}/Patient`, toRecord(corpusPatient(n)), insurer);
        await post(`${fhirUrl}/Consent`, patientConsent(patientId, { type: 'permit' }), insurer);
        const role = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };
        await post(`${fhirUrl}/Consent`, patientConsent(patientId, { type: 'permit', actor: [{ role, reference: { reference: `Practitioner/${biologist}` } }] }), await token({ kind: 'patient', id: patientId }));
      }
    },
  };
}
