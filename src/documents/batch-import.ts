import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The outcome of importing one file. */
export interface FileOutcome {
  file: string;
  result: 'imported' | 'duplicate' | 'rejected';
  status: number;
  /** Why it was rejected (the OperationOutcome diagnostics, or the transport error). */
  reason?: string;
}

export interface BatchSummary {
  imported: number;
  duplicate: number;
  rejected: number;
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

/** Maps an HTTP answer of `$import` to imported (201) / duplicate (200) / rejected (anything else, with its reason). */
export function classify(file: string, status: number, body: string): FileOutcome {
  if (status === 201) return { file, result: 'imported', status };
  if (status === 200) return { file, result: 'duplicate', status };
  let reason = body.slice(0, 300);
  try {
    const outcome = JSON.parse(body) as { issue?: { diagnostics?: string }[] };
    reason = (outcome.issue ?? []).map((i) => i.diagnostics).filter(Boolean).join('; ') || reason;
  } catch {
    // not JSON: keep the start of the body
  }
  return { file, result: 'rejected', status, reason: `HTTP ${status}: ${reason}` };
}

/** Posts one CDA file to `<fhirUrl>/DocumentReference/$import`. */
export async function importFile(file: string, options: { fhirUrl: string; token?: string }): Promise<{ outcome: FileOutcome; bytes: number }> {
  const bytes = readFileSync(file);
  const headers: Record<string, string> = { 'Content-Type': 'application/hl7-cda+xml', Accept: 'application/fhir+json', Prefer: 'return=minimal' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  try {
    const res = await fetch(`${options.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers, body: bytes });
    return { outcome: classify(file, res.status, await res.text()), bytes: bytes.length };
  } catch (err) {
    return { outcome: { file, result: 'rejected', status: 0, reason: `transport error: ${(err as Error).message}` }, bytes: bytes.length };
  }
}

/** Imports files with a few requests in flight, reporting each outcome as it lands. */
export async function importFiles(
  files: string[],
  options: { fhirUrl: string; token?: string; concurrency?: number; onOutcome?: (outcome: FileOutcome, done: number) => void },
): Promise<BatchSummary> {
  const started = process.hrtime.bigint();
  const outcomes: FileOutcome[] = new Array(files.length);
  let next = 0;
  let done = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const r = await importFile(files[i], options);
      outcomes[i] = r.outcome;
      bytes += r.bytes;
      options.onOutcome?.(r.outcome, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, files.length)) }, worker));
  const count = (result: FileOutcome['result']) => outcomes.filter((o) => o.result === result).length;
  return { imported: count('imported'), duplicate: count('duplicate'), rejected: count('rejected'), outcomes, bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
