import pg from 'pg';

/**
 * Several PostgreSQL hosts in one URL, as libpq writes them (`postgres://u@h1:5432,h2:5433/db?target_session_attrs=
 * read-write`). node-postgres 8 takes one host only (its connection-string parser keeps the first), so the pool
 * factory (`PgDb`) picks the host itself: the first one that accepts a connection and, with `read-write`, is not
 * in recovery (a standby), and picks again when its connections are lost or the server turns read-only (failover).
 */
export interface HostList {
  /** One single-host connection string per host, in the order given. */
  urls: string[];
  /** `read-write`: only a primary will do; `any`: the first host that answers. */
  targetSessionAttrs: 'read-write' | 'any';
}

/** Splits a connection string into one per host; a single-host one without target_session_attrs gives one URL, as it was. */
export function parseHostList(connectionString: string): HostList {
  const m = /^(postgres(?:ql)?:\/\/)([^@/]*@)?([^/?]*)(.*)$/.exec(connectionString);
  if (!m) return { urls: [connectionString], targetSessionAttrs: 'any' };
  const [, scheme, userinfo = '', hostPart, rest] = m;
  const [pathPart, query = ''] = rest.split('?', 2);
  const params = new URLSearchParams(query);
  const attrs = params.get('target_session_attrs');
  if (attrs !== null && attrs !== 'read-write' && attrs !== 'any') {
    throw new Error(`target_session_attrs=${attrs} is not supported (read-write or any)`);
  }
  params.delete('target_session_attrs');
  const q = params.toString();
  const hosts = hostPart.split(',').filter(Boolean);
  return {
    urls: (hosts.length ? hosts : ['']).map((h) => `${scheme}${userinfo}${h}${pathPart}${q ? `?${q}` : ''}`),
    targetSessionAttrs: attrs === 'read-write' ? 'read-write' : 'any',
  };
}

/** Answers whether the server at `url` accepts a connection and, for `read-write`, is a primary (not in recovery). */
export async function isUsableHost(url: string, attrs: HostList['targetSessionAttrs'], timeoutMs = 3000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if (attrs === 'any') return true;
    const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    return rows[0]?.standby === false;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
