import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { SessionSealer, SESSION_COOKIE } from '../../../src/portal/session';
import { buildConsent } from '../../support/consent';
import { type AuditServer, startAuditServer } from '../audit/server-harness';

export const FIXTURES = join(__dirname, '../../../fixtures');
/** A fixed session key, so that the test can open a session as the portal would after a sign-in. */
export const SESSION_KEY = Buffer.alloc(32, 7);
export const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
/** Hélène MARCHAL, the fictitious patient of our hand-written fixtures (test INS, key 56). */
export const MARCHAL_INS = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '286063306312356' };
export const GP_RPPS = '10000000001';
export const SPEC_RPPS = '10000000002';

/** The record: Hélène MARCHAL with her treating physician and an ophthalmologist in the directory. */
function record(): Resource[] {
  const traits = planCdaImport(readFileSync(join(FIXTURES, 'cda/cr-bio-thyroid-panel.xml'))).patientTraits;
  return [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${GP_RPPS}` }], name: [{ prefix: ['Dr'], given: ['Claire'], family: 'MARTIN' }] },
    { resourceType: 'PractitionerRole', id: 'gp-role', practitioner: { reference: 'Practitioner/gp' }, code: [{ text: 'Médecin généraliste' }] },
    { resourceType: 'Practitioner', id: 'spec', identifier: [{ system: IDNAT, value: `8${SPEC_RPPS}` }], name: [{ prefix: ['Dr'], given: ['Paul'], family: 'ROCHE' }] },
    { resourceType: 'PractitionerRole', id: 'spec-role', practitioner: { reference: 'Practitioner/spec' }, code: [{ text: 'Ophtalmologue' }] },
    {
      resourceType: 'Patient',
      id: 'helene',
      identifier: [MARCHAL_INS],
      name: traits.name,
      gender: traits.gender,
      birthDate: traits.birthDate,
      telecom: [{ system: 'email', value: 'helene.marchal@example.org' }],
      generalPractitioner: [{ reference: 'Practitioner/gp' }],
    } as Resource,
    buildConsent('helene-open', 'helene', { type: 'permit' }),
  ];
}

/** Léa, Hélène's daughter (a minor; test INS, key 25 = 97 − 2160675123456 mod 97), whose guardian link names Hélène's INS. */
export const CHILD_LEA: Resource[] = [
  { resourceType: 'Patient', id: 'lea', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '216067512345625' }], name: [{ given: ['Léa'], family: 'MARCHAL' }], gender: 'female', birthDate: '2016-06-01' } as Resource,
  buildConsent('lea-open', 'lea', { type: 'permit' }),
  {
    resourceType: 'RelatedPerson', id: 'lea-mother', patient: { reference: 'Patient/lea' }, identifier: [MARCHAL_INS],
    relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] }], name: [{ given: ['Hélène'], family: 'MARCHAL' }],
  } as Resource,
];

export interface PortalServer extends AuditServer {
  /** The cookie of a signed-in session of `patient` (what the portal sets after the SMART sign-in). */
  sessionCookie(patient: string, csrf?: string): Promise<string>;
  /** GET a portal page with a session cookie, without following redirects. */
  page(cookie: string | undefined, path: string): Promise<{ status: number; html: string; headers: Headers }>;
  /** POST a portal form. */
  post(cookie: string, path: string, fields: Record<string, string | string[]>): Promise<{ status: number; html: string; location: string | null }>;
  importCda(token: string, file: string): Promise<{ status: number; body: any }>;
}

export async function startPortalServer(extraEnv: NodeJS.ProcessEnv = {}): Promise<PortalServer> {
  const s = await startAuditServer({ PORTAL_SESSION_KEY: SESSION_KEY.toString('base64url'), ...extraEnv });
  for (const resource of record()) await s.server.service.repo.update(s.systemContext(), resource);
  const sealer = new SessionSealer(SESSION_KEY);
  return {
    ...s,
    async sessionCookie(patient, csrf = 'test-csrf-token') {
      const accessToken = await s.token({ kind: 'patient', id: patient });
      const sealed = await sealer.seal({ accessToken, expiresAt: Math.floor(Date.now() / 1000) + 3600, patient, csrf }, 3600);
      return `${SESSION_COOKIE}=${sealed}`;
    },
    async page(cookie, path) {
      const res = await fetch(`${s.server.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
      return { status: res.status, html: await res.text(), headers: res.headers };
    },
    async post(cookie, path, fields) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      const res = await fetch(`${s.server.url}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString(), redirect: 'manual' });
      return { status: res.status, html: await res.text(), location: res.headers.get('location') };
    },
    async importCda(token, file) {
      const res = await fetch(`${s.server.fhirUrl}/DocumentReference/$import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/hl7-cda+xml', accept: 'application/fhir+json' },
        body: readFileSync(join(FIXTURES, 'cda', file)),
      });
      return { status: res.status, body: await res.json() };
    },
  };
}

/** The visible text of a page: tags removed, entities of the escaper decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
