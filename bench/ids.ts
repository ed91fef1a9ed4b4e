/**
 * Deterministic ids and relations of the seeded data set, shared by the seeder and the load generator (which
 * picks random patients without asking the database). Ids look like the server's (UUIDs), scattered so that
 * B-tree inserts are as random as in production.
 */

function mix32(n: number): number {
  let x = (n + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function uuidOf(kind: number, n: number): string {
  const head = mix32(n * 4 + kind).toString(16).padStart(8, '0');
  const tail = n.toString(16).padStart(12, '0');
  return `${head}-0000-4${kind.toString(16)}00-8000-${tail}`;
}

/** The id of the n-th Patient. */
export function patientId(n: number): string {
  return uuidOf(1, n);
}

/** The id of the n-th Practitioner. */
export function practitionerId(n: number): string {
  return uuidOf(2, n);
}

/** The id of the n-th DocumentReference. */
export function documentId(n: number): string {
  return uuidOf(3, n);
}

/** A stable pseudo-random number in [0, 1) for (n, salt). */
export function unitHash(n: number, salt: number): number {
  return mix32(n * 31 + salt * 7919) / 0x100000000;
}

/** Number of Practitioners seeded for a number of patients (one per 100 patients, at least 10). */
export function practitionerCount(patients: number): number {
  return Math.max(10, Math.ceil(patients / 100));
}

/**
 * The patient of document n. Consecutive documents belong to different patients, so each patient's documents
 * are spread over the whole table as they would be after years of interleaved writes.
 */
export function patientOfDocument(n: number, patients: number): number {
  return n % patients;
}

/** A zero-padded decimal string of n (identifier values). */
export function digits(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
