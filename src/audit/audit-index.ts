import type { AuditEvent, Coding, Reference } from '@medplum/fhirtypes';
import { normaliseString } from '../fhir/search/normalise';

/** Search index rows of one resource, in the shapes of the core's idx_* tables. */
export interface IndexRows {
  tokens: { param: string; system: string | null; code: string | null; text: string | null }[];
  strings: { param: string; value: string; norm: string }[];
  dates: { param: string; low: string; high: string }[];
  references: { param: string; targetType: string; targetId: string }[];
}


function splitReference(reference: string): { targetType: string; targetId: string } {
  const m = /^([A-Z][A-Za-z]+)\/([^/]+)(?:\/_history\/.*)?$/.exec(reference);
  return m ? { targetType: m[1], targetId: m[2] } : { targetType: '', targetId: reference };
}

/**
 * Index rows for the AuditEvent search parameters of FHIR R4 (action, agent, agent-name, altid, address,
 * date, entity, outcome, patient, policy, purpose, subtype, type). Written by the audit writer itself so
 * AuditEvents are searchable even though they never pass through the core's write path.
 */
export function buildAuditIndexRows(event: AuditEvent, compartment: string | null): IndexRows {
  const rows: IndexRows = { tokens: [], strings: [], dates: [], references: [] };
  const token = (param: string, coding: Coding | undefined): void => {
    if (coding?.code) rows.tokens.push({ param, system: coding.system ?? null, code: coding.code, text: coding.display ?? null });
  };
  const str = (param: string, value: string | undefined): void => {
    if (value) rows.strings.push({ param, value, norm: normaliseString(value) });
  };
  const ref = (param: string, value: Reference | undefined): void => {
    if (value?.reference) rows.references.push({ param, ...splitReference(value.reference) });
  };

  token('action', event.action ? { system: 'http://hl7.org/fhir/audit-event-action', code: event.action } : undefined);
  token('outcome', event.outcome ? { system: 'http://terminology.hl7.org/CodeSystem/audit-event-outcome', code: event.outcome } : undefined);
  token('type', event.type);
  for (const c of event.subtype ?? []) token('subtype', c);
  for (const p of event.purposeOfEvent ?? []) for (const c of p.coding ?? []) token('purpose', c);
  if (event.recorded) rows.dates.push({ param: 'date', low: event.recorded, high: event.recorded });
  if (compartment) rows.references.push({ param: 'patient', targetType: 'Patient', targetId: compartment });

  for (const agent of event.agent ?? []) {
    ref('agent', agent.who);
    str('agent-name', agent.name ?? agent.who?.display);
    if (agent.who?.identifier?.value) token('altid', { system: agent.who.identifier.system, code: agent.who.identifier.value });
    str('address', agent.network?.address);
    for (const policy of agent.policy ?? []) rows.tokens.push({ param: 'policy', system: null, code: policy, text: null });
    for (const p of agent.purposeOfUse ?? []) for (const c of p.coding ?? []) token('purpose', c);
  }
  for (const entity of event.entity ?? []) ref('entity', entity.what);
  // The purpose is stated both on the event and on the user agent: index it once.
  const seen = new Set<string>();
  rows.tokens = rows.tokens.filter((t) => {
    const key = `${t.param}|${t.system}|${t.code}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return rows;
}
