import type { AuditEvent, Bundle, Consent, ConsentProvision, DocumentReference, Parameters, Resource } from '@medplum/fhirtypes';
import { buildConsent } from '../../support/consent';
import { CHAIN_EXTENSION_URL } from '../../../src/audit/audit-codes';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { type AuditServer, startAuditServer, waitFor } from './server-harness';

const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS = { gp: '10000000001', spec: '10000000002', author: '10000000004', urg: '10000000007' };
const EMAIL = 'marie.dupont@example.org';
const BTG_REASON = 'Unconscious patient in the emergency room';

const practitioner = (id: string, rpps: string, family: string): Resource => ({
  resourceType: 'Practitioner',
  id,
  identifier: [{ system: IDNAT, value: `8${rpps}` }],
  name: [{ family, given: ['Jean'], prefix: ['Dr'] }],
});

const consent = (id: string, provision: ConsentProvision): Consent => buildConsent(id, 'p1', provision);

const byRpps = (rpps: string) => ({
  role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
  reference: { identifier: { system: IDNAT, value: `8${rpps}` } },
});

const DOCUMENT: DocumentReference = {
  resourceType: 'DocumentReference',
  status: 'current',
  masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.1.2.3.4.77' },
  type: { coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Consult note' }] },
  subject: { reference: 'Patient/p1' },
  date: '2024-05-12T10:00:00+02:00',
  author: [{ reference: 'Practitioner/author' }],
  content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64'), title: 'Compte rendu' } }],
};

/** What the test expects of one event of the trail. */
interface Expected {
  action: string;
  outcome: string;
  subtype: string;
  who: string;
  purpose?: string;
}

function summarize(event: AuditEvent): Expected {
  const user = event.agent?.find((a) => a.requestor);
  const summary: Expected = {
    action: event.action as string,
    outcome: event.outcome as string,
    subtype: event.subtype?.[0]?.code ?? '',
    who: user?.who?.identifier?.value ?? user?.who?.reference ?? '(none)',
  };
  const purpose = event.purposeOfEvent?.[0]?.coding?.[0]?.code ?? user?.purposeOfUse?.[0]?.coding?.[0]?.code;
  if (purpose) summary.purpose = purpose;
  return summary;
}

function param(parameters: Parameters, name: string): any {
  return parameters.parameter?.find((p) => p.name === name);
}

describe('the access trail and notices of a scripted scenario, through HTTP on the composed server', () => {
  const smtp = new SmtpReceiver();
  let s: AuditServer;
  let docId: string;
  let since: string;

  beforeAll(async () => {
    await smtp.start();
    s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200' });
    const ctx = s.systemContext();
    for (const resource of [
      practitioner('gp', RPPS.gp, 'GENERALISTE'),
      practitioner('spec', RPPS.spec, 'CARDIO'),
      practitioner('author', RPPS.author, 'MARTIN'),
      practitioner('urg', RPPS.urg, 'URGENCE'),
      { resourceType: 'Patient', id: 'p1', name: [{ family: 'DUPONT', given: ['Marie'] }], generalPractitioner: [{ reference: 'Practitioner/gp' }], telecom: [{ system: 'email', value: EMAIL }] } as Resource,
      consent('c-open', { type: 'permit' }),
      consent('c-spec', { type: 'permit', actor: [byRpps(RPPS.spec)] }),
      consent('c-author', { type: 'permit', actor: [byRpps(RPPS.author)] }),
    ]) {
      await s.server.service.repo.update(ctx, resource);
    }
    await new Promise((r) => setTimeout(r, 5));
    since = new Date().toISOString();
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await smtp.stop();
  });

  it('runs the scenario: import, three readers, break-glass, a denied read, a consent change', async () => {
    const author = await s.token({ kind: 'practitioner', id: RPPS.author });
    const created = await s.fhir(author, 'POST', '/DocumentReference', DOCUMENT);
    expect(created.status).toBe(201);
    docId = created.body.id;

    for (const rpps of [RPPS.gp, RPPS.spec, RPPS.author]) {
      const read = await s.fhir(await s.token({ kind: 'practitioner', id: rpps }), 'GET', `/DocumentReference/${docId}`);
      expect(read.status).toBe(200);
    }
    const urgent = await s.token({ kind: 'practitioner', id: RPPS.urg, purpose: 'BTG', reason: BTG_REASON });
    expect((await s.fhir(urgent, 'GET', `/DocumentReference/${docId}`)).status).toBe(200);

    const insurer = await s.token({ kind: 'system', id: 'mutuelle', category: 'insurer' });
    expect((await s.fhir(insurer, 'GET', `/DocumentReference/${docId}`)).status).toBe(403);

    const patient = await s.token({ kind: 'patient', id: 'p1' });
    const block = await s.fhir(patient, 'POST', '/Consent', consent('c-deny-spec', { type: 'deny', actor: [byRpps(RPPS.spec)] }));
    expect(block.status).toBe(201);
  });

  it("returns exactly the scenario's events, in order, to the patient", async () => {
    const patient = await s.token({ kind: 'patient', id: 'p1' });
    const res = await s.fhir(patient, 'GET', `/AuditEvent?patient=p1&date=ge${encodeURIComponent(since)}&_sort=date&_count=50`);
    expect(res.status).toBe(200);
    const events = ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
    const requestOf = (e: AuditEvent) => e.entity?.find((x) => x.type?.code === 'XrequestId')?.what?.identifier?.value;
    // The import is one transaction (the documents module may add a SubmissionSet and a Binary): one event per resource.
    const imported = events.filter((e) => requestOf(e) === requestOf(events[0]));
    expect(imported.map(summarize)).toEqual(imported.map(() => ({ action: 'C', outcome: '0', subtype: 'create', who: `8${RPPS.author}`, purpose: 'TREAT' })));
    expect(imported.filter((e) => JSON.stringify(e.entity).includes(`"DocumentReference/${docId}/_history/1"`))).toHaveLength(1);
    const rest = events.slice(imported.length);

    expect(rest.map(summarize)).toEqual([
      { action: 'R', outcome: '0', subtype: 'read', who: `8${RPPS.gp}`, purpose: 'TREAT' },
      { action: 'R', outcome: '0', subtype: 'read', who: `8${RPPS.spec}`, purpose: 'TREAT' },
      { action: 'R', outcome: '0', subtype: 'read', who: `8${RPPS.author}`, purpose: 'TREAT' },
      { action: 'R', outcome: '0', subtype: 'read', who: `8${RPPS.urg}`, purpose: 'BTG' },
      { action: 'R', outcome: '4', subtype: 'read', who: 'mutuelle' },
      { action: 'C', outcome: '0', subtype: 'create', who: 'Patient/p1', purpose: 'PATRQT' },
    ]);
    // In the order they happened; served without their chain link (its numbering would show events hidden from the
    // reader: hidden-trail-events.test.ts), which $verify checks.
    const recorded = events.map((e) => Date.parse(e.recorded as string));
    expect([...recorded].sort((a, b) => a - b)).toEqual(recorded);
    expect(events.some((e) => e.extension?.some((x) => x.url === CHAIN_EXTENSION_URL))).toBe(false);
    expect(JSON.stringify(rest[3])).toContain(BTG_REASON);
    expect(rest[4].agent?.[0].who?.display).toBe('mutuelle (insurer)');
    expect(rest[4].outcomeDesc).toMatch(/insurer may never access/);
    for (const read of rest.slice(0, 5)) expect(JSON.stringify(read.entity)).toContain(`DocumentReference/${docId}`);
  });

  it('answers the trail searches by purpose, action and agent, and includes the patient', async () => {
    const patient = await s.token({ kind: 'patient', id: 'p1' });
    const ids = async (query: string) => {
      const res = await s.fhir(patient, 'GET', `/AuditEvent?${query}&date=ge${encodeURIComponent(since)}&_count=50`);
      expect(res.status).toBe(200);
      return ((res.body as Bundle).entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => summarize(e.resource as AuditEvent));
    };
    expect(await ids('purpose=BTG')).toEqual([{ action: 'R', outcome: '0', subtype: 'read', who: `8${RPPS.urg}`, purpose: 'BTG' }]);
    expect(await ids('purpose=http://terminology.hl7.org/CodeSystem/v3-ActReason|PATRQT&action=C')).toHaveLength(1);
    expect((await ids('action=R')).map((e) => e.who)).toEqual([`8${RPPS.gp}`, `8${RPPS.spec}`, `8${RPPS.author}`, `8${RPPS.urg}`, 'mutuelle']);
    const withPatient = await s.fhir(patient, 'GET', '/AuditEvent?patient=Patient/p1&purpose=BTG&_include=AuditEvent:patient');
    const entries = (withPatient.body as Bundle).entry ?? [];
    expect(entries.map((e) => `${e.search?.mode}:${e.resource?.resourceType}`)).toEqual(['match:AuditEvent', 'include:Patient']);
  });

  it('serves an AuditEvent to its patient by read, vread and instance history (its only version)', async () => {
    const patient = await s.token({ kind: 'patient', id: 'p1' });
    const search = await s.fhir(patient, 'GET', '/AuditEvent?patient=p1&_count=1');
    const event = ((search.body as Bundle).entry ?? [])[0]?.resource as AuditEvent;
    expect(event?.id).toBeDefined();
    const read = await s.fhir(patient, 'GET', `/AuditEvent/${event.id}`);
    const vread = await s.fhir(patient, 'GET', `/AuditEvent/${event.id}/_history/1`);
    expect(read.status).toBe(200);
    expect(vread.status).toBe(200);
    expect(vread.body).toEqual(read.body);
    expect((await s.fhir(patient, 'GET', `/AuditEvent/${event.id}/_history/2`)).status).toBe(404);
    const history = await s.fhir(patient, 'GET', `/AuditEvent/${event.id}/_history`);
    expect(((history.body as Bundle).entry ?? []).map((e) => e.resource?.id)).toEqual([event.id]);
    const gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
    expect((await s.fhir(gp, 'GET', `/AuditEvent/${event.id}/_history/1`)).status).toBe(403);
  });

  it('refuses the trail to a professional, and answers 405 to writing an AuditEvent', async () => {
    const gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
    expect((await s.fhir(gp, 'GET', '/AuditEvent?patient=p1')).status).toBe(403);
    expect((await s.fhir(gp, 'GET', '/AuditEvent/$verify')).status).toBe(403);
    const patient = await s.token({ kind: 'patient', id: 'p1' });
    expect((await s.fhir(patient, 'POST', '/AuditEvent', { resourceType: 'AuditEvent' })).status).toBe(405);
  });

  it('e-mails the patient: document added, first access of each professional, break-glass with its reason', async () => {
    await waitFor(() => smtp.received.length >= 5, 20_000, 'five e-mails');
    await new Promise((r) => setTimeout(r, 1500)); // no sixth one arrives late
    // The bodies travel quoted-printable (French accents): decoded back to text.
    const decode = (qp: string) => Buffer.from(qp.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
    const texts = smtp.received.map((m) => decode(m.data));
    expect(smtp.received.every((m) => m.to.length === 1 && m.to[0] === EMAIL)).toBe(true);
    expect(texts).toHaveLength(5);
    expect(texts.filter((t) => /Un nouveau document a été ajouté à votre dossier médical partagé/.test(t))).toHaveLength(1);
    const firsts = texts.filter((t) => /pour la première fois/.test(t));
    expect(firsts).toHaveLength(3);
    for (const rpps of [RPPS.gp, RPPS.spec, RPPS.author]) expect(firsts.some((t) => t.includes(`RPPS ${rpps}`))).toBe(true);
    const emergency = texts.filter((t) => /bris de glace/.test(t));
    expect(emergency).toHaveLength(1);
    expect(emergency[0]).toContain(`RPPS ${RPPS.urg}`);
    expect(emergency[0]).toContain(BTG_REASON);
    for (const t of texts) expect(t).not.toContain('Compte rendu');
  });

  it('shows the delivery status of each notice to the patient as Communications, and to nobody else', async () => {
    const patient = await s.token({ kind: 'patient', id: 'p1' });
    const res = await s.fhir(patient, 'GET', '/Communication?patient=p1');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(5);
    expect(res.body.entry.map((e: any) => e.resource.status)).toEqual(Array(5).fill('completed'));
    const gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
    expect((await s.fhir(gp, 'GET', '/Communication?patient=p1')).status).toBe(403);
  });

  it('reports an intact chain, then the broken link after a direct SQL edit', async () => {
    const patient = await s.token({ kind: 'patient', id: 'p1' });
    const intact = await s.fhir(patient, 'GET', '/AuditEvent/$verify');
    expect(intact.status).toBe(200);
    expect(param(intact.body, 'intact').valueBoolean).toBe(true);
    expect(param(intact.body, 'events').valueInteger).toBeGreaterThanOrEqual(7);

    const db = s.testDb.db;
    const { rows } = await db.query<{ event_id: string; seq: number }>(
      `SELECT c.event_id, c.seq FROM audit_chain c JOIN resource r ON r.id = c.event_id WHERE c.chain = 'p1' AND r.text LIKE '%"BTG"%' ORDER BY c.seq LIMIT 1`,
    );
    const target = rows[0];
    await db.query('ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only');
    await db.query(`UPDATE resource SET text = replace(text, '${BTG_REASON}', 'Routine check'), content = replace(text, '${BTG_REASON}', 'Routine check')::jsonb WHERE type = 'AuditEvent' AND id = $1`, [target.event_id]);
    await db.query('ALTER TABLE resource ENABLE TRIGGER resource_audit_append_only');

    const broken = await s.fhir(patient, 'GET', '/AuditEvent/$verify');
    expect(param(broken.body, 'intact').valueBoolean).toBe(false);
    const link = param(broken.body, 'firstBrokenLink').part as { name: string; valueInteger?: number; valueCode?: string; valueReference?: { reference: string } }[];
    expect(link.find((p) => p.name === 'sequence')?.valueInteger).toBe(Number(target.seq));
    expect(link.find((p) => p.name === 'reason')?.valueCode).toBe('hash-mismatch');
    expect(link.find((p) => p.name === 'event')?.valueReference?.reference).toBe(`AuditEvent/${target.event_id}`);
  });
});
