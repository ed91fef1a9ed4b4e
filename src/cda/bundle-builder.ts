import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

/**
 * Accumulates the entries of the import transaction. Full URLs are `urn:uuid:`s derived from a seed (the
 * document's hash) and a key, so the same document always yields the same Bundle (stable expected files),
 * and conditional creates are deduplicated on their search so one author is one entry.
 */
export class BundleBuilder {
  private readonly entries: BundleEntry[] = [];
  private readonly conditionals = new Map<string, string>();
  private readonly usedKeys = new Set<string>();

  constructor(private readonly seed: string) {}

  /** A fresh urn:uuid for a key (the key is made unique if already used). */
  urnFor(key: string): string {
    let unique = key;
    for (let n = 2; this.usedKeys.has(unique); n++) unique = `${key}~${n}`;
    this.usedKeys.add(unique);
    return `urn:uuid:${uuidFrom(`${this.seed}\u0000${unique}`)}`;
  }

  /** Adds a plain `POST <type>` entry and returns its fullUrl. */
  add(resource: Resource, fullUrl: string): string {
    this.entries.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
    return fullUrl;
  }

  /** Adds a conditional create (`ifNoneExist`), once per search; later calls return the first fullUrl. */
  addConditional(resource: Resource, ifNoneExist: string): string {
    const key = `${resource.resourceType}?${ifNoneExist}`;
    const existing = this.conditionals.get(key);
    if (existing) return existing;
    const fullUrl = this.urnFor(key);
    this.entries.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType, ifNoneExist } });
    this.conditionals.set(key, fullUrl);
    return fullUrl;
  }

  /** Number of entries so far. */
  get size(): number {
    return this.entries.length;
  }

  /** The resource of an entry already added (to enrich it, e.g. a DiagnosticReport's results). */
  resourceAt(fullUrl: string): Resource | undefined {
    return this.entries.find((e) => e.fullUrl === fullUrl)?.resource;
  }

  /** The transaction Bundle, entries in the order they were added. */
  build(): Bundle {
    return { resourceType: 'Bundle', type: 'transaction', entry: this.entries };
  }
}

/** A name-based (v5-style, SHA-1) UUID. */
export function uuidFrom(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Escapes the characters that would break a search query, keeping `:` and `|` readable. */
export function queryValue(value: string): string {
  return value.replace(/[%&#+=\s,$\\]/g, (c) => encodeURIComponent(c));
}
