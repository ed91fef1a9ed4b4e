import { renderStoredText } from './stored-text';

/** A row as the store returns it: the served JSON text plus version metadata. */
export interface StoredResource {
  rid: number;
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: Date;
  compartment: string | null;
  deleted: boolean;
  /** Served JSON (without Binary data); null for a tombstone. */
  text: string | null;
}

/** The columns of `resource` (or `resource_history`) a row query selects. */
export interface Row {
  rid: number;
  type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  compartment: string | null;
  deleted: boolean;
  text: string | null;
}

/** Maps a database row to a StoredResource. */
export function toStored(row: Row): StoredResource {
  return {
    rid: row.rid,
    resourceType: row.type,
    id: row.id,
    versionId: row.version_id,
    lastUpdated: new Date(row.last_updated),
    compartment: row.compartment,
    deleted: row.deleted,
    text: renderStoredText(row.type, row.id, row.text),
  };
}
