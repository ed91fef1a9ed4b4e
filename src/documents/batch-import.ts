import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The outcome of importing one file. */
export interface FileOutcome {
  file: string;
  /**
   * `rejected`: the server refused this document (4xx other than 401), with its reason. `failed`: the document was not
   * judged — the server could not be reached, refused the token (401) or failed (5xx, 503 still busy after retries).
   */
  result: 'imported' | 'duplicate' | 'rejected' | 'failed';
  status: number;
  /** Why it was rejected (the OperationOutcome diagnostics, or the transport error). */
  reason?: string;
}

export interface BatchSummary {
  imported: number;
  duplicate: number;
  rejected: number;
  failed: number;
  /** Files not sent because the import stopped at a failure (unreachable server, refused token). */
  skipped: number;
  outcomes: FileOutcome[];
  bytes: number;
  seconds: number;
}

/** The CDA files named on the command line: files as given, folders walked recursively for `*.xml`. */
export function collectFiles(paths: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else if (/\.xml$/i.test(path)) files.push(path);
  };
  for (const p of paths) {
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
  return files;
}

/**
 * Maps an HTTP answer of `$import` to imported (201) / duplicate (200) / failed (401, 5xx: not the document's fault) /
 * rejected (any other status, with its reason).
 */
export function classify(file: string, status: number, body: string): FileOutcome {
  if (status === 201) return { file, result: 'imported', status };
  if (status === 200) return { file, result: 'duplicate', status };
  const failed = status === 401 || status >= 500;
  let reason = body.slice(0, 300);
  try {
    const outcome = JSON.parse(body) as { issue?: { diagnostics?: string }[] };
    reason = (outcome.issue ?? []).map((i) => i.diagnostics).filter(Boolean).join('; ') || reason;
  } catch {
    // not JSON: keep the start of the body
  }
  return { file, result: failed ? 'failed' : 'rejected', status, reason: `HTTP ${status}: ${reason}` };
}

const MAX_BUSY_RETRIES = 5;

/**
 * Posts one CDA file to `<fhirUrl>/DocumentReference/$import`. A 503 (the server's CDA queue full, its database
 * restarting) is retried after its Retry-After, a few times: the import is idempotent on the document id.
 */
export async function importFile(file: string, options: { fhirUrl: string; token?: string }): Promise<{ outcome: FileOutcome; bytes: number }> {
  const bytes = readFileSync(file);
  const headers: Record<string, string> = { 'Content-Type': 'application/hl7-cda+xml', Accept: 'application/fhir+json', Prefer: 'return=minimal' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${options.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers, body: bytes });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { outcome: { file, result: 'failed', status: 0, reason: `could not reach the server: ${cause?.code ?? cause?.message ?? (err as Error).message}` }, bytes: bytes.length };
    }
    const body = await res.text();
    if (res.status === 503 && attempt < MAX_BUSY_RETRIES) {
      const wait = Math.min(30, Number(res.headers.get('retry-after')) || 1);
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    return { outcome: classify(file, res.status, body), bytes: bytes.length };
  }
}

/** Imports files with a few requests in flight, reporting each outcome as it lands. */
export async function importFiles(
  files: string[],
  options: { fhirUrl: string; token?: string; concurrency?: number; onOutcome?: (outcome: FileOutcome, done: number) => void; stopOnFailure?: boolean },
): Promise<BatchSummary> {
  const started = process.hrtime.bigint();
  const outcomes: FileOutcome[] = new Array(files.length);
  let next = 0;
  let done = 0;
  let bytes = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (next < files.length && !stopped) {
      const i = next++;
      const r = await importFile(files[i], options);
      outcomes[i] = r.outcome;
      bytes += r.bytes;
      // An unreachable server or a refused token fails every file alike: thousands of identical lines help nobody.
      if (r.outcome.result === 'failed' && options.stopOnFailure) stopped = true;
      options.onOutcome?.(r.outcome, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, files.length)) }, worker));
  const sent = outcomes.filter(Boolean);
  const count = (result: FileOutcome['result']) => sent.filter((o) => o.result === result).length;
  return {
    imported: count('imported'),
    duplicate: count('duplicate'),
    rejected: count('rejected'),
    failed: count('failed'),
    skipped: files.length - sent.length,
    outcomes: sent,
    bytes,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
