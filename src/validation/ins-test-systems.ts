import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { INS_SYSTEMS } from './ins';

/**
 * The INS systems of the ANS test and demonstration NIR (`urn:oid:1.2.250.1.213.1.4.10`, `.11`). Every ANS CDA example
 * carries its patient under the test one; a production server that took them would file a test document — or a
 * record opened with a made-up INS — as a real patient's identity (issue 11, identity leftovers).
 */
export const INS_TEST_SYSTEMS: readonly string[] = ['urn:oid:1.2.250.1.213.1.4.10', 'urn:oid:1.2.250.1.213.1.4.11'];

/** Which INS systems a server accepts where an INS enters (a write, a CDA header, a look-up inside a write). */
export interface InsSystemsPolicy {
  accepted: readonly string[];
  refused: readonly string[];
  /** Why the refused ones are refused, for the start-up log and the 422. */
  reason?: string;
  /** A production server told to take the test and demo NIR (a qualification platform): said as a warning at start. */
  testInProduction?: boolean;
}

/**
 * The policy of an environment: under `NODE_ENV=production` the test and demo INS systems are refused, unless the
 * operator sets `INS_TEST_OIDS=allow` (a qualification platform fed the ANS test documents). Outside production every
 * INS system is accepted. Any other `INS_TEST_OIDS` value is a mistake worth stopping for (as `DEV_AUTH`).
 */
export function loadInsSystemsPolicy(env: NodeJS.ProcessEnv): InsSystemsPolicy {
  const raw = env.INS_TEST_OIDS ?? '';
  if (raw !== '' && raw !== 'allow') throw new Error(`INS_TEST_OIDS must be allow (accept the test and demo INS systems in production) or unset, not "${raw}"`);
  if (env.NODE_ENV !== 'production') return { accepted: INS_SYSTEMS, refused: [] };
  if (raw === 'allow') return { accepted: INS_SYSTEMS, refused: [], testInProduction: true };
  return {
    accepted: INS_SYSTEMS.filter((s) => !INS_TEST_SYSTEMS.includes(s)),
    refused: INS_TEST_SYSTEMS,
    reason: 'NODE_ENV=production without INS_TEST_OIDS=allow',
  };
}

/** The start-up line saying which INS systems this server accepts (a warning when production takes the test ones). */
export function describeInsSystems(policy: InsSystemsPolicy): { level: 'info' | 'warn'; message: string } {
  const accepted = `INS systems accepted: ${policy.accepted.join(', ')}`;
  if (policy.refused.length) return { level: 'info', message: `${accepted}; test and demo INS refused (${policy.reason}): ${policy.refused.join(', ')}` };
  if (policy.testInProduction) return { level: 'warn', message: `${accepted} — the test and demo INS included, in production (INS_TEST_OIDS=allow: a qualification platform only)` };
  return { level: 'info', message: accepted };
}

/** The 422 issue of an INS written under a system this server refuses, or undefined when the system is accepted. */
export function refusedInsSystemIssue(policy: InsSystemsPolicy, system: string, expression: string): OperationOutcomeIssue | undefined {
  if (!policy.refused.includes(system)) return undefined;
  const text = `The INS system ${system} (test or demonstration NIR) is not accepted by this server (${policy.reason}): a patient's identity is his NIR (${INS_SYSTEMS[0]}) or NIA (${INS_SYSTEMS[1]})`;
  return { severity: 'error', code: 'value', diagnostics: text, details: { text }, expression: [expression] };
}
