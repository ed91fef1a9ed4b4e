import { sql } from '../kernel/sql';
import type { Statements } from './db';
import type { DerivedColumns } from './derived-columns';
import type { StoredResource } from './stored-row';

/**
 * Whether an update writes the content the current version already holds (FHIR R4 §3.1.0.4.3: an update that changes
 * nothing need not create a version). Compared as JSON values, ignoring key order and the two `meta` elements the
 * server sets on every version (`versionId`, `lastUpdated`); every other `meta` element (security labels, tags,
 * profiles) is content. Numbers compare by value: the API reads a body's numbers as values, so `2.05` sent back over a
 * stored `2.050` is the same content, and the stored digits stay as they were.
 */
export function isSameContent(nextText: string, currentText: string): boolean {
  return deepEqual(withoutVersionMeta(JSON.parse(nextText)), withoutVersionMeta(JSON.parse(currentText)));
}

function withoutVersionMeta(resource: Record<string, unknown>): Record<string, unknown> {
  const meta = resource.meta as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') return resource;
  const { versionId: _versionId, lastUpdated: _lastUpdated, ...rest } = meta;
  const copy = { ...resource };
  if (Object.keys(rest).length) copy.meta = rest;
  else delete copy.meta;
  return copy;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && deepEqual(left[key], right[key]));
}

function sameSet(a: readonly string[] | null, b: readonly string[]): boolean {
  const left = new Set(a ?? []);
  return left.size === new Set(b).size && b.every((x) => left.has(x));
}

/**
 * Whether the current version already holds this content (`isSameContent`) under the same governing columns
 * (record, governing document, labels, authors: some are read from other rows, which may have changed since), and,
 * for a Binary, the same bytes (kept apart from its JSON row). Read only once the content is found equal.
 */
export async function holdsSameVersion(db: Statements, current: StoredResource, text: string, columns: DerivedColumns, data: Buffer | undefined): Promise<boolean> {
  if (current.deleted || !current.text || !isSameContent(text, current.text)) return false;
  const { rows } = await db.query<{ compartment: string | null; doc_id: string | null; security: string[]; authors: string[] }>(
    sql`SELECT compartment, doc_id, security, authors FROM resource WHERE type = ${current.resourceType} AND id = ${current.id}`,
  );
  const row = rows[0];
  if (!row || row.compartment !== columns.compartment || row.doc_id !== columns.docId) return false;
  if (!sameSet(row.security, columns.security) || !sameSet(row.authors, columns.authors)) return false;
  if (current.resourceType !== 'Binary') return true;
  const bytes = await db.query<{ data: Buffer | Uint8Array }>(
    sql`SELECT data FROM binary_data WHERE id = ${current.id} AND version_id = ${current.versionId}`,
  );
  const stored = bytes.rows[0]?.data;
  if (!stored || !data) return !stored && !data;
  return Buffer.from(stored).equals(data);
}

