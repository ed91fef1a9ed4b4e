import { loadFixture, RPPS } from './fixture';
import { startAuditServer, type AuditServer } from '../audit/server-harness';

/**
 * The production composition over the access fixture for the directory sweeps (spellings at import, an MHD client's own
 * entries), with the callers they need and the helpers they share: fresh national numbers, an administrator's entry,
 * and who carries an identifier.
 */
export function useDirectorySweep(extraTokens: Record<string, Parameters<AuditServer['token']>[0]> = {}) {
  const run = { s: undefined as unknown as AuditServer };
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    run.s = await startAuditServer();
    await loadFixture(run.s.server.service);
    tokens.feeder = await run.s.token({ kind: 'system', id: 'lab-feeder' });
    tokens.admin = await run.s.token({ kind: 'practitioner', id: '10000000088', role: 'directory-admin' });
    tokens.patient = await run.s.token({ kind: 'patient', id: 'p1' });
    tokens.gp = await run.s.token({ kind: 'practitioner', id: RPPS.gp });
    for (const [name, who] of Object.entries(extraTokens)) tokens[name] = await run.s.token(who);
  }, 120_000);
  afterAll(() => run.s?.close());

  let serial = 0;
  const diagnostics = (res: { body?: { issue?: { diagnostics?: string }[] } }) => res.body?.issue?.[0]?.diagnostics;
  return {
    run,
    tokens,
    diagnostics,
    /** The next number of the file's sequence (document ids, case numbers). */
    next: () => ++serial,
    /** A fresh number of `digits` digits (one structure or person per case). */
    fresh: (prefix: string, digits: number): string => `${prefix}${String(++serial).padStart(digits - prefix.length, '0')}`,
    split: (key: string) => ({ system: key.slice(0, key.indexOf('|')), value: key.slice(key.indexOf('|') + 1) }),
    /** The live entries of a type that carry any of these identifiers, as the treating physician finds them. */
    carriers: async (type: string, keys: string[]): Promise<string[]> => {
      const res = await run.s.fhir(tokens.gp, 'GET', `/${type}?identifier=${keys.map(encodeURIComponent).join(',')}&_count=50`);
      return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
    },
    /** An entry a directory administrator adds (201 expected). */
    adminCreates: async (type: string, identifier: { system: string; value: string }[], name = 'Entrée de l\'annuaire'): Promise<string> => {
      const body = type === 'Organization' ? { resourceType: type, name, identifier } : { resourceType: type, name: [{ family: name }], identifier };
      const res = await run.s.fhir(tokens.admin, 'POST', `/${type}`, body);
      expect([res.status, diagnostics(res)]).toEqual([201, undefined]);
      return res.body.id as string;
    },
  };
}
