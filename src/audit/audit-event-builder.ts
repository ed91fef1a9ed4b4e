import type { AuditEvent, AuditEventAgent, AuditEventEntity, CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { AuditAgentInfo } from './audit-actor';
import {
  AGENT_CLIENT,
  AGENT_ORGANIZATION,
  AGENT_SERVER,
  AGENT_USER,
  ENTITY_PERSON,
  ENTITY_SYSTEM_OBJECT,
  type OutcomeCode,
  PURPOSE_DISPLAY,
  ROLE_DOMAIN_RESOURCE,
  ROLE_PATIENT,
  ROLE_QUERY,
  SOURCE_APP_SERVER,
  SUBTYPE_LOGIN,
  SUBTYPE_USER_SECURITY_ATTRIBUTES,
  SYSTEM,
  TYPE_LOGIN,
  TYPE_REST,
  TYPE_SECURITY_ALERT,
} from './audit-codes';
import { type IdentityCorrection, identityCorrectionDetails, SUBTYPE_IDENTITY_CORRECTION } from './identity-correction';

/** This server, as the audit source and the "server" agent. */
export interface AuditSource {
  id: string;
  display: string;
  /** Host name or address of this server. */
  address?: string;
}

export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** Everything one AuditEvent says; the builder only shapes it (IHE BALP). */
export interface AuditEventInput {
  recorded: Date;
  /**
   * `rest` for FHIR interactions (subtype = the interaction), `login` for user authentication, `account` for the
   * account procedures (activation, password reset, contact change; `operation` names which).
   */
  category: 'rest' | 'login' | 'account';
  interaction?: string;
  /** Operation name without `$` (e.g. `everything`, `verify`) when interaction is `operation`. */
  operation?: string;
  action: AuditAction;
  outcome: OutcomeCode;
  outcomeDesc?: string;
  agent?: AuditAgentInfo;
  purpose?: { code: string; reason?: string };
  network?: { address?: string; userAgent?: string };
  source: AuditSource;
  /** Patient whose record was touched (the compartment). */
  patientId?: string | null;
  /** Resources touched, as `Type/id` or `Type/id/_history/v`. */
  resources?: string[];
  /** Raw query string of a search, recorded base64-encoded. */
  query?: string;
  /** Type searched or addressed, recorded as the query entity's description. */
  resourceType?: string;
  requestId?: string;
  /** An identity correction (`Patient/$update-identity`): its own subtype, old and new INS on the Patient entity. */
  identity?: IdentityCorrection;
  /** What a server job did to the record (e.g. the majority hand-over), as details of the Patient entity. */
  patientDetails?: { type: string; valueString: string }[];
}

/** BALP action code of a FHIR interaction: reads R, searches and operations E, writes C/U/D. */
export function toAction(interaction: string): AuditAction {
  if (interaction === 'create') return 'C';
  if (interaction === 'update' || interaction === 'patch') return 'U';
  if (interaction === 'delete') return 'D';
  if (interaction === 'read' || interaction === 'vread' || interaction.startsWith('history')) return 'R';
  return 'E';
}

function codeable(coding: Coding, text?: string): CodeableConcept {
  return text ? { coding: [coding], text } : { coding: [coding] };
}

function networkType(address: string): '1' | '2' {
  return /^[\d.:a-fA-F]+$/.test(address) ? '2' : '1';
}

function purposeConcept(purpose: { code: string; reason?: string }): CodeableConcept {
  return codeable({ system: SYSTEM.actReason, code: purpose.code, display: PURPOSE_DISPLAY[purpose.code] }, purpose.reason);
}

function userAgents(agent: AuditAgentInfo, purpose?: CodeableConcept): AuditEventAgent[] {
  const [primary, ...others] = agent.identifiers;
  const user: AuditEventAgent = {
    type: codeable(AGENT_USER),
    role: [{ coding: [{ system: 'urn:dmp-fhir-adapter:actor-kind', code: agent.kind }] }],
    who: { reference: agent.reference, identifier: primary, display: agent.display },
    altId: others.length ? others.map((i) => `${i.system}|${i.value}`).join(' ') : undefined,
    name: agent.display,
    requestor: true,
    policy: agent.tokenId ? [agent.tokenId] : undefined,
    purposeOfUse: purpose ? [purpose] : undefined,
  };
  const out = [user];
  const org = agent.organization;
  if (org) {
    out.push({ type: codeable(AGENT_ORGANIZATION), who: { reference: org.reference, identifier: org.identifier, display: org.display }, name: org.display, requestor: false });
  }
  return out;
}

function clientAgent(input: AuditEventInput): AuditEventAgent | undefined {
  const client = input.agent?.client;
  const address = input.network?.address;
  if (!client && !address) return undefined;
  return {
    type: codeable(AGENT_CLIENT),
    who: client ? { identifier: { value: client.id }, display: client.display ?? client.id } : { display: input.network?.userAgent ?? 'unidentified client' },
    requestor: false,
    network: address ? { address, type: networkType(address) } : undefined,
  };
}

function serverAgent(source: AuditSource): AuditEventAgent {
  return {
    type: codeable(AGENT_SERVER),
    who: { identifier: { value: source.id }, display: source.display },
    requestor: false,
    network: source.address ? { address: source.address, type: networkType(source.address) } : undefined,
  };
}

const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

function entities(input: AuditEventInput): AuditEventEntity[] {
  const out: AuditEventEntity[] = [];
  if (input.patientId) {
    const detail = input.identity ? identityCorrectionDetails(input.identity) : input.patientDetails;
    out.push({ what: { reference: `Patient/${input.patientId}` }, type: ENTITY_PERSON, role: ROLE_PATIENT, detail });
  }
  for (const reference of input.resources ?? []) {
    out.push({ what: { reference }, type: ENTITY_SYSTEM_OBJECT, role: ROLE_DOMAIN_RESOURCE });
  }
  if (input.requestId) {
    // BALP "transaction" entity: the X-Request-Id, to correlate the event with the request log.
    out.push({ what: { identifier: { value: input.requestId } }, type: { system: BALP_ENTITY_TYPE, code: 'XrequestId', display: 'X-Request-Id' } });
  }
  if (input.query !== undefined) {
    out.push({ type: ENTITY_SYSTEM_OBJECT, role: ROLE_QUERY, description: input.resourceType, query: Buffer.from(input.query, 'utf8').toString('base64') });
  }
  return out;
}

function subtypes(input: AuditEventInput): Coding[] {
  if (input.category === 'login') return [SUBTYPE_LOGIN];
  if (input.category === 'account') {
    return input.operation ? [SUBTYPE_USER_SECURITY_ATTRIBUTES, { system: 'urn:dmp-fhir-adapter:account-procedure', code: input.operation }] : [SUBTYPE_USER_SECURITY_ATTRIBUTES];
  }
  const interaction = input.interaction ?? 'operation';
  const out: Coding[] = [{ system: SYSTEM.restfulInteraction, code: interaction }];
  if (input.operation) out.push({ system: 'urn:dmp-fhir-adapter:operation', code: input.operation, display: `$${input.operation}` });
  if (input.identity) out.push(SUBTYPE_IDENTITY_CORRECTION);
  return out;
}

/**
 * Builds a BALP-shaped FHIR R4 AuditEvent (no id, meta or chain link yet: the writer adds them). Absent members
 * are left `undefined` (the stored JSON drops them) and the fixed codings are shared, frozen constants: this runs
 * for every audited read, and copying the event (a JSON round trip, then a deep walk) was its largest CPU cost.
 */
export function buildAuditEvent(input: AuditEventInput): AuditEvent {
  const purpose = input.purpose ? purposeConcept(input.purpose) : undefined;
  const client = clientAgent(input);
  const agents = [...(input.agent ? userAgents(input.agent, purpose) : []), ...(client ? [client] : []), serverAgent(input.source)];
  return {
    resourceType: 'AuditEvent',
    type: input.category === 'login' ? TYPE_LOGIN : input.category === 'account' ? TYPE_SECURITY_ALERT : TYPE_REST,
    subtype: subtypes(input),
    action: input.action,
    recorded: input.recorded.toISOString(),
    outcome: input.outcome,
    outcomeDesc: input.outcomeDesc,
    purposeOfEvent: purpose ? [purpose] : undefined,
    agent: agents,
    source: { observer: { identifier: { value: input.source.id }, display: input.source.display }, type: [SOURCE_APP_SERVER] },
    entity: entities(input),
  };
}
