import type { BundleLink } from '@medplum/fhirtypes';
import type { StoredResource } from '../store/repository';

/** One entry of a Bundle under construction: `resource` is stored JSON text inserted without re-parsing. */
export interface EntryParts {
  fullUrl?: string;
  resourceText?: string | null;
  search?: { mode: 'match' | 'include' | 'outcome' };
  request?: { method: string; url: string };
  response?: { status: string; location?: string; etag?: string; lastModified?: string; outcome?: unknown };
}

/** Serialises a Bundle whose entries embed stored JSON as-is (measured: far faster than parse + stringify). */
export function bundleJson(head: { type: string; total?: number; link?: BundleLink[]; timestamp?: string }, entries: EntryParts[]): string {
  const parts: string[] = [`{"resourceType":"Bundle","type":${JSON.stringify(head.type)}`];
  if (head.timestamp) parts.push(`,"timestamp":${JSON.stringify(head.timestamp)}`);
  if (head.total !== undefined) parts.push(`,"total":${head.total}`);
  if (head.link?.length) parts.push(`,"link":${JSON.stringify(head.link)}`);
  if (entries.length) {
    parts.push(',"entry":[');
    entries.forEach((e, i) => {
      const fields: string[] = [];
      if (e.fullUrl) fields.push(`"fullUrl":${JSON.stringify(e.fullUrl)}`);
      if (e.resourceText) fields.push(`"resource":${e.resourceText}`);
      if (e.search) fields.push(`"search":${JSON.stringify(e.search)}`);
      if (e.request) fields.push(`"request":${JSON.stringify(e.request)}`);
      if (e.response) fields.push(`"response":${JSON.stringify(e.response)}`);
      parts.push(`${i ? ',' : ''}{${fields.join(',')}}`);
    });
    parts.push(']');
  }
  parts.push('}');
  return parts.join('');
}

/** The absolute URL of a resource. */
export function resourceUrl(baseUrl: string, stored: Pick<StoredResource, 'resourceType' | 'id'>): string {
  return `${baseUrl}/${stored.resourceType}/${stored.id}`;
}
