import { RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, ninth sweep, family "time and caches", over HTTP on the production composition.
// Rule (src/access/README.md "The directory cannot grant access", sweep 4 "a fhirUser claim names the token's own
// person or the token is refused"): a professional's token whose fhirUser names a directory entry that is not his own is
// refused (401), whatever was asked before. The actor resolver keeps a professional's resolution a few seconds, keyed by
// his identifiers only; the fhirUser check ran only when it resolved, so a forged token sent within seconds of a plain
// one was served from the cache unchecked, and the patient's trail named the treating physician as the reader.
// Fixture: p1 open, treating physician Practitioner/gp, spec authorised; gp makes no request in this file.

const { tokenWith, raw, call } = useSweepServer('dmp-sweep9-caches-');
const professional = (rpps: string, extra: Record<string, unknown> = {}) => ({ dmp_kind: 'practitioner', rpps, scope: 'user/*.cruds', ...extra });

describe('a fhirUser naming someone else\'s entry is refused whatever the resolver remembers', () => {
  it('an unauthorised professional\'s forged token, right after a plain one, gets 401', async () => {
    expect((await raw(await tokenWith(professional('10000000077')), 'GET', '/DocumentReference?_count=100')).status).toBe(200);
    expect((await raw(await tokenWith(professional('10000000077', { fhirUser: 'Practitioner/gp' })), 'GET', '/DocumentReference?_count=100')).status).toBe(401);
  });

  it('the authorised specialist\'s forged token, right after a plain one, gets 401 and leaves no trail entry naming the treating physician', async () => {
    expect((await raw(await tokenWith(professional(RPPS.spec)), 'GET', '/DocumentReference/d1')).status).toBe(200);
    expect((await raw(await tokenWith(professional(RPPS.spec, { fhirUser: 'Practitioner/gp' })), 'GET', '/DocumentReference/d1')).status).toBe(401);
    expect((await raw(await tokenWith(professional(RPPS.spec, { fhirUser: 'https://dmp.example/fhir/Practitioner/gp' })), 'GET', '/DocumentReference/d1')).status).toBe(401);
    const trail = await call('patient', 'GET', '/AuditEvent?patient=Patient/p1&_count=1000');
    expect(trail.status).toBe(200);
    expect(trail.text).not.toContain('"reference":"Practitioner/gp"');
  });

  it('the comparison can fail: his own entry in fhirUser, right after a plain token, still reads', async () => {
    expect((await raw(await tokenWith(professional(RPPS.spec)), 'GET', '/DocumentReference/d1')).status).toBe(200);
    expect((await raw(await tokenWith(professional(RPPS.spec, { fhirUser: 'Practitioner/spec' })), 'GET', '/DocumentReference/d1')).status).toBe(200);
  });
});
