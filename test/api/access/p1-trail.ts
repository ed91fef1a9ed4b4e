import type { AuditEvent, Bundle, Communication } from '@medplum/fhirtypes';
import type { AuditServer } from '../audit/server-harness';

/** What p1 reads of her trail and notices, through her own token, about one professional (by RPPS). */
export function p1Trail(server: () => AuditServer, p1Token: () => string) {
  return {
    /** The events of p1's trail made by the professional of that RPPS. */
    async eventsBy(rpps: string): Promise<AuditEvent[]> {
      const res = await server().fhir(p1Token(), 'GET', '/AuditEvent?patient=p1&_count=1000');
      expect(res.status).toBe(200);
      return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent)
        .filter((e) => e.agent?.some((a) => a.requestor && a.who?.identifier?.value === `8${rpps}`));
    },
    /** p1's notices of a kind naming that RPPS. */
    async noticesAbout(kind: string, rpps: string): Promise<Communication[]> {
      const res = await server().fhir(p1Token(), 'GET', '/Communication?patient=p1&_count=200');
      expect(res.status).toBe(200);
      return ((res.body as Bundle).entry ?? []).map((e) => e.resource as Communication)
        .filter((c) => c.category?.[0]?.coding?.[0]?.code === kind && (c.payload?.[0]?.contentString ?? '').includes(rpps));
    },
  };
}
